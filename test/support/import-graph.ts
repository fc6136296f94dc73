/**
 * The import graph of the project's TypeScript sources, read with the TypeScript compiler API (no
 * regexes): which files each file imports, for the tests that hold the plugin boundary and forbid
 * import circles.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Root of the worktree (where `src/` and `plugins/` are). */
export const projectRoot = path.resolve(__dirname, '../..');

/** One import of a file: the specifier as written and, for a relative one, the file it names. */
export interface ImportRef {
  specifier: string;
  /** Absolute path of the imported `.ts` file; undefined for a package (`mysql2`, `node:fs`). */
  target?: string;
  /** True for `import type` / `export type` (erased at run time). */
  typeOnly: boolean;
}

/**
 * Every module specifier in `source`: import and export-from declarations, `import x = require()`,
 * `require('...')` and `import('...')` calls.
 * @example specifiersOf("import type { A } from './a';\nconst b = require('./b');") // [{ specifier: './a', typeOnly: true }, { specifier: './b', typeOnly: false }]
 */
export function specifiersOf(source: string, fileName = 'file.ts'): { specifier: string; typeOnly: boolean }[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const out: { specifier: string; typeOnly: boolean }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push({ specifier: node.moduleSpecifier.text, typeOnly: Boolean(node.importClause?.isTypeOnly) });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      out.push({ specifier: node.moduleReference.expression.text, typeOnly: node.isTypeOnly });
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) {
        out.push({ specifier: node.arguments[0].text, typeOnly: false });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The `.ts` file a relative specifier of `fromFile` names (`./a` -> `a.ts` or `a/index.ts`). */
export function resolveRelative(fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(fromFile), specifier);
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && fs.existsSync(candidate) && fs.statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** The imports of one file on disk, relative ones resolved. */
export function importsOf(file: string): ImportRef[] {
  return specifiersOf(fs.readFileSync(file, 'utf8'), file).map((s) => ({ ...s, target: resolveRelative(file, s.specifier) }));
}

/** Every `.ts` file below `dir` (absolute paths, sorted). */
export function tsFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFilesUnder(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out.sort();
}

/** A path relative to the project root, with forward slashes, for messages. */
export function rel(file: string): string {
  return path.relative(projectRoot, file).split(path.sep).join('/');
}
