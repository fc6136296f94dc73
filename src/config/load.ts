import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors';
import { packagedConfigDir } from '../paths';
import { substituteEnv } from './env-substitute';
import { configSchema, GoshiftConfig, validateWithSchema } from './schema';

/** Where and which config to load. */
export interface ConfigLocation {
  /** Environment name: reads `<dir>/<env>.json`. Default is `local`. */
  env: string;
  /** Config directory (`-c`). Default is `./etc`, then the `etc/` shipped with goshift. */
  dir?: string;
  /** Honour goshift's bare env-name form. Default is true. */
  usedEnv: boolean;
}


/** Find the config file for a location, or fail naming every path looked at. */
export function resolveConfigFile(loc: ConfigLocation): string {
  const candidates = loc.dir
    ? [path.resolve(loc.dir, `${loc.env}.json`)]
    : [path.resolve('etc', `${loc.env}.json`), path.join(packagedConfigDir, `${loc.env}.json`)];
  const found = candidates.find((file) => fs.existsSync(file));
  if (!found) throw new ConfigError(`config for environment "${loc.env}" not found: looked for ${[...new Set(candidates)].join(', ')} (use -c <dir> -e <env>)`);
  return found;
}

/**
 * Read, substitute and validate `etc/<env>.json`.
 * @throws ConfigError naming the file and the offending key
 */
export function loadConfig(loc: ConfigLocation, env: NodeJS.ProcessEnv = process.env): GoshiftConfig {
  const file = resolveConfigFile(loc);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`config ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const substituted = substituteEnv(raw, env, loc.usedEnv, file);
  try {
    const conf = validateWithSchema<Omit<GoshiftConfig, 'source'>>(configSchema, substituted);
    return { ...conf, source: file };
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`config ${file} is invalid: ${oneLine((err as Error).message)}`, { cause: err });
  }
}

function oneLine(text: string): string {
  return text.split('\n').map((s) => s.trim()).filter(Boolean).join('; ');
}
