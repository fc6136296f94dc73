import fs from 'node:fs';
import path from 'node:path';

function findPackageRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return from;
    dir = parent;
  }
  return dir;
}

/** Root of the goshift package, whether running from `src/` (tests) or `dist/src/` (built). */
export const packageRoot = findPackageRoot(__dirname);

/** Directory of the numbered DDL files. */
export const sqlDir = path.join(packageRoot, 'sql');

/** The `etc/` directory shipped with goshift (holds the embedded `local.json`). */
export const packagedConfigDir = path.join(packageRoot, 'etc');

/** Compiled worker entry used by the piscina pool (always the built file: threads run JavaScript). */
export const workerFile = path.join(packageRoot, 'dist', 'src', 'runtime', 'worker.js');

/** goshift's version, from its package.json. */
export function goshiftVersion(): string {
  return String((JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown');
}
