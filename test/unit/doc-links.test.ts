/**
 * Every relative link of README.md, CHANGELOG.md and docs/**\/*.md points at a file that exists,
 * and every `#anchor` at a heading of its page (anchors as GitHub makes them).
 */
import fs from 'node:fs';
import path from 'node:path';
import { documentationFiles, headingAnchors, markdownLinks } from '../support/markdown';

const root = path.resolve(__dirname, '../..');

/**
 * Pages the README links to that other branches add (the binlog feed, the Redis replica reader,
 * RDB files). They may be missing until those land; once they exist they are checked like any page.
 */
const pagesAddedElsewhere = new Set(['docs/redis-replica.md']);

/** What is wrong with one link of `file`, or undefined when it resolves. */
function brokenLink(file: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto: ...
  const hash = target.indexOf('#');
  const pathPart = hash === -1 ? target : target.slice(0, hash);
  const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
  const resolved = pathPart === '' ? file : path.normalize(path.join(path.dirname(file), decodeURIComponent(pathPart)));
  if (resolved.startsWith('..') || path.isAbsolute(pathPart)) return `${target} leaves the repository`;
  if (!fs.existsSync(path.join(root, resolved))) return pagesAddedElsewhere.has(resolved) ? undefined : `${resolved} does not exist`;
  if (anchor === undefined || !resolved.endsWith('.md')) return undefined;
  const anchors = headingAnchors(fs.readFileSync(path.join(root, resolved), 'utf8'));
  return anchors.has(anchor) ? undefined : `${resolved} has no heading #${anchor}`;
}

describe('documentation links', () => {
  const files = documentationFiles(root);

  test('the guide and its reference pages are there', () => {
    expect(files).toEqual(expect.arrayContaining(['README.md', 'CHANGELOG.md', 'docs/architecture.md', 'docs/tasks.md', 'docs/stores/mysql.md']));
  });

  test('every relative link resolves', () => {
    const broken: string[] = [];
    let count = 0;
    for (const file of files) {
      for (const link of markdownLinks(fs.readFileSync(path.join(root, file), 'utf8'))) {
        count++;
        const why = brokenLink(file, link.target);
        if (why) broken.push(`${file}:${link.line}: (${link.target}) ${why}`);
      }
    }
    expect(broken).toEqual([]);
    expect(count).toBeGreaterThan(50);
  });

  test('each docs page links back to the README, and the README links each page', () => {
    const readme = markdownLinks(fs.readFileSync(path.join(root, 'README.md'), 'utf8')).map((l) => path.normalize(l.target.split('#')[0]));
    const missing: string[] = [];
    for (const file of files.filter((f) => f.startsWith('docs/'))) {
      const first = markdownLinks(fs.readFileSync(path.join(root, file), 'utf8'))[0];
      if (!first || path.normalize(path.join(path.dirname(file), first.target)) !== 'README.md') missing.push(`${file}: first link is not back to README.md`);
      if (!readme.includes(file)) missing.push(`README.md: no link to ${file}`);
    }
    expect(missing).toEqual([]);
  });

  test('a link to a missing file or heading is caught', () => {
    expect(brokenLink('docs/stores/redis.md', '../records.md#records-and-mappings')).toBeUndefined();
    expect(brokenLink('docs/stores/redis.md', '../records.md#no-such-heading')).toMatch(/has no heading #no-such-heading/);
    expect(brokenLink('README.md', 'docs/nope.md')).toMatch(/docs\/nope.md does not exist/);
    expect(brokenLink('README.md', '#troubleshooting')).toBeUndefined();
    expect(brokenLink('README.md', '#trouble')).toMatch(/README.md has no heading/);
  });

  test('anchors follow GitHub: code and punctuation dropped, repeats numbered', () => {
    const anchors = headingAnchors('# Scale-out: `goshift worker` and `--distributed`\n## Limits\n### Limits\n```sh\n# not a heading\n```\n');
    expect([...anchors]).toEqual(['scale-out-goshift-worker-and---distributed', 'limits', 'limits-1']);
  });
});
