/**
 * Reading the repository's Markdown for the documentation tests: fenced blocks, the goshift
 * command lines in `sh` blocks (as argv, the way a shell would hand them over), links and the
 * anchors GitHub gives headings.
 */
import fs from 'node:fs';
import path from 'node:path';

/** A fenced code block: its info string (`sh`, `json`, ...), its text and the line it starts on. */
export interface FencedBlock {
  info: string;
  text: string;
  line: number;
}

/** A goshift command found in a document: its argv after `goshift`, and where it was written. */
export interface DocCommand {
  argv: string[];
  source: string;
  line: number;
}

/** Shell words stand in for what the shell would substitute (`$id`, `$(...)`, `${VAR}`). */
const substituted = '1';

/** Fenced code blocks (``` or ~~~) of a Markdown text. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  const lines = markdown.split('\n');
  let open: { fence: string; info: string; line: number; body: string[] } | undefined;
  lines.forEach((line, i) => {
    const m = /^\s{0,3}(`{3,}|~{3,})\s*([^`\s]*)/.exec(line);
    if (!open && m) open = { fence: m[1], info: m[2].toLowerCase(), line: i + 1, body: [] };
    else if (open && m && m[1][0] === open.fence[0] && m[1].length >= open.fence.length && m[2] === '') {
      blocks.push({ info: open.info, text: open.body.join('\n'), line: open.line + 1 });
      open = undefined;
    } else if (open) open.body.push(line);
  });
  return blocks;
}

/** The text of a Markdown document outside its fenced code blocks (fenced lines left empty, so line numbers hold). */
export function proseOf(markdown: string): string {
  const lines = markdown.split('\n');
  let fence: string | undefined;
  return lines.map((line) => {
    const m = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (m && (!fence || (m[1][0] === fence[0] && m[1].length >= fence.length))) {
      fence = fence ? undefined : m[1];
      return '';
    }
    return fence ? '' : line;
  }).join('\n');
}

/**
 * Split one shell script into simple commands, each a list of words, the way sh would read it:
 * quotes, backslash-newline continuations and `#` comments; `|`, `;`, `&&`, `||` and `&` end a
 * command, redirections (`> file`, `2>&1`) are left out; `$VAR`, `${VAR}` and `$(...)` become a placeholder word, and the
 * commands inside `$(...)` are returned too.
 * @example shellCommands("id=$(goshift task add --x 'a b') # add") // [['goshift', 'task', 'add', '--x', 'a b'], ['id=1']]
 */
export function shellCommands(script: string): string[][] {
  const src = script.replace(/\\\r?\n/g, ' ');
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | undefined;
  const endWord = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    if (words.length) commands.push(words);
    words = [];
  };
  /** Index just past the `)` closing the `$(` whose `(` is at `open`. */
  const closeParen = (open: number): number => {
    let depth = 0;
    for (let j = open; j < src.length; j++) {
      const c = src[j];
      if (c === "'") j = src.indexOf("'", j + 1);
      else if (c === '(') depth++;
      else if (c === ')' && --depth === 0) return j + 1;
      if (j === -1) break;
    }
    throw new Error(`unclosed $( in: ${src}`);
  };
  /** A `$` expansion at `i`: the index after it (the commands of a `$(...)` are collected). */
  const expansion = (i: number): number => {
    if (src[i + 1] === '(') {
      const end = closeParen(i + 1);
      commands.push(...shellCommands(src.slice(i + 2, end - 1)));
      return end;
    }
    if (src[i + 1] === '{') return src.indexOf('}', i) + 1;
    const m = /^[A-Za-z_][A-Za-z0-9_]*|^[0-9?#@*$!-]/.exec(src.slice(i + 1));
    return m ? i + 1 + m[0].length : -1;
  };
  let skipRedirectTarget = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\n' || c === ';' || c === '|' || c === '&') {
      endCommand();
      skipRedirectTarget = false;
      continue;
    }
    if (c === ' ' || c === '\t') {
      endWord();
      continue;
    }
    if (c === '#' && word === undefined) {
      const nl = src.indexOf('\n', i);
      i = (nl === -1 ? src.length : nl) - 1;
      continue;
    }
    if (c === '>' || c === '<') {
      // A redirection (`> file`, `2>&1`) and its target are no part of the command's argv.
      if (word !== undefined && /^\d+$/.test(word)) word = undefined;
      endWord();
      while (src[i + 1] === '>' || src[i + 1] === '&') i++;
      skipRedirectTarget = true;
      continue;
    }
    if (skipRedirectTarget && word === undefined) {
      let j = i;
      while (j < src.length && !/[\s;|&]/.test(src[j])) j++;
      i = j - 1;
      skipRedirectTarget = false;
      continue;
    }
    if (c === "'") {
      const end = src.indexOf("'", i + 1);
      if (end === -1) throw new Error(`unclosed ' in: ${src}`);
      word = (word ?? '') + src.slice(i + 1, end);
      i = end;
      continue;
    }
    if (c === '"') {
      let text = '';
      let j = i + 1;
      for (; j < src.length && src[j] !== '"'; j++) {
        if (src[j] === '\\' && '"\\$`'.includes(src[j + 1])) text += src[++j];
        else if (src[j] === '$') {
          const end = expansion(j);
          if (end === -1) text += '$';
          else {
            text += substituted;
            j = end - 1;
          }
        } else text += src[j];
      }
      if (j >= src.length) throw new Error(`unclosed " in: ${src}`);
      word = (word ?? '') + text;
      i = j;
      continue;
    }
    if (c === '\\') {
      word = (word ?? '') + (src[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '$') {
      const end = expansion(i);
      if (end !== -1) {
        word = (word ?? '') + substituted;
        i = end - 1;
        continue;
      }
    }
    word = (word ?? '') + c;
  }
  endCommand();
  return commands;
}

/** Shell block info strings whose commands are checked. */
const shellInfos = new Set(['sh', 'bash', 'shell', 'console']);

/**
 * Every goshift command of the `sh` blocks of a Markdown text, as the argv goshift would get
 * (`VAR=value` prefixes left out; `node bin/goshift` counts as goshift).
 */
export function goshiftCommands(markdown: string, source: string): DocCommand[] {
  const found: DocCommand[] = [];
  for (const block of fencedBlocks(markdown)) {
    if (!shellInfos.has(block.info)) continue;
    // Commands are looked up per logical line so the line number points at the command.
    const logical = block.text.replace(/\\\r?\n/g, '\\\u0000').split('\n');
    logical.forEach((text, k) => {
      const line = block.line + logical.slice(0, k).reduce((n, t) => n + t.split('\u0000').length, 0);
      for (let words of shellCommands(text.replace(/\\\u0000/g, '\\\n'))) {
        while (words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) words = words.slice(1);
        if (words[0] === 'node' && words[1] === 'bin/goshift') words = words.slice(1);
        if (words[0] === 'goshift' || words[0] === 'bin/goshift') found.push({ argv: words.slice(1), source, line });
      }
    });
  }
  return found;
}

/** The anchor GitHub gives a heading's text (before numbering repeats). */
export function headingSlug(text: string): string {
  return text.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** Every anchor of a Markdown text's headings; repeated slugs get `-1`, `-2`, ... as on GitHub. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseOf(markdown).split('\n')) {
    const m = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = headingSlug(m[1].replace(/\[([^\]]*)\]\([^)]*\)/g, '$1'));
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** A link of a Markdown document: its target as written and the line it is on. */
export interface DocLink {
  target: string;
  line: number;
}

/** Inline links `[text](target)` outside code blocks and code spans. */
export function markdownLinks(markdown: string): DocLink[] {
  const links: DocLink[] = [];
  proseOf(markdown).split('\n').forEach((line, i) => {
    // Code spans inside link text are kept as text; code spans elsewhere hold no links.
    const outsideCode = line.replace(/(\[[^\]]*\])|`[^`]*`/g, (all, linkText: string | undefined) => linkText ?? ' ');
    for (const m of outsideCode.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ target: m[1], line: i + 1 });
  });
  return links;
}

/** README.md, CHANGELOG.md and every `docs/**\/*.md` below a repository root, as relative paths. */
export function documentationFiles(root: string): string[] {
  const files = ['README.md', 'CHANGELOG.md'].filter((f) => fs.existsSync(path.join(root, f)));
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.md')) files.push(rel);
    }
  };
  if (fs.existsSync(path.join(root, 'docs'))) walk('docs');
  return files;
}
