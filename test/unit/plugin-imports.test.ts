/**
 * The plugin boundary: a file under `plugins/<type>/` imports only packages, its own folder and
 * `src/sdk/`; never the rest of the core, never another plugin's folder.
 */
import path from 'node:path';
import { ImportRef, importsOf, projectRoot, rel, specifiersOf, tsFilesUnder } from '../support/import-graph';

const pluginsDir = path.join(projectRoot, 'plugins');
const sdkDir = path.join(projectRoot, 'src', 'sdk');

const inside = (file: string, dir: string): boolean => file.startsWith(dir + path.sep);

/** The imports of plugin file `file` that cross the boundary, as `file -> specifier` lines. */
function violations(file: string, imports: ImportRef[]): string[] {
  const own = path.join(pluginsDir, path.relative(pluginsDir, file).split(path.sep)[0]);
  return imports
    .filter((i) => i.specifier.startsWith('.'))
    .filter((i) => !(i.target && (inside(i.target, own) || inside(i.target, sdkDir))))
    .map((i) => `${rel(file)} -> ${i.specifier}`);
}

describe('plugin imports', () => {
  test('every import form is seen', () => {
    const found = specifiersOf([
      "import type { A } from '../../src/sdk';",
      "import b from '../../src/runtime/job';",
      "export { c } from '../file/csv';",
      "import d = require('../../src/errors');",
      "const e = require('../../src/params');",
      "const f = import('../redis/client');",
    ].join('\n'));
    expect(found.map((f) => f.specifier)).toEqual(['../../src/sdk', '../../src/runtime/job', '../file/csv', '../../src/errors', '../../src/params', '../redis/client']);
    expect(found[0].typeOnly).toBe(true);
  });

  test('a core or another plugin import counts as a violation, the sdk and the own folder do not', () => {
    const file = path.join(pluginsDir, 's3', 'reader.ts');
    const imports: ImportRef[] = [
      { specifier: '../../src/sdk', target: path.join(sdkDir, 'index.ts'), typeOnly: false },
      { specifier: '../../src/sdk/formats', target: path.join(sdkDir, 'formats', 'index.ts'), typeOnly: false },
      { specifier: './config', target: path.join(pluginsDir, 's3', 'config.ts'), typeOnly: false },
      { specifier: '@aws-sdk/client-s3', typeOnly: false },
      { specifier: '../file/csv', target: path.join(pluginsDir, 'file', 'csv.ts'), typeOnly: false },
      { specifier: '../../src/params', target: path.join(projectRoot, 'src', 'params.ts'), typeOnly: true },
    ];
    expect(violations(file, imports)).toEqual(['plugins/s3/reader.ts -> ../file/csv', 'plugins/s3/reader.ts -> ../../src/params']);
  });

  test('no plugin file imports the core beyond src/sdk or another plugin', () => {
    const files = tsFilesUnder(pluginsDir);
    expect(files.length).toBeGreaterThan(40);
    expect(files.flatMap((f) => violations(f, importsOf(f)))).toEqual([]);
  });
});
