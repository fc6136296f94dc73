import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors';
import { packagedConfigDir } from '../paths';
import { registerPluginModule } from '../registry';
import { substituteEnv } from './env-substitute';
import { jsonSyntaxError } from './json-error';
import { queueConfigSchema } from '../distributed/queue-config';
import { configSchema, GoshiftConfig, validateWithSchema } from './schema';
import { shapeProblem } from './shape';

/** The environment a config file belongs to (`etc/prod.json` -> `prod`), as `-e` names it. */
export function envOfConfigFile(file: string): string {
  return path.basename(file, '.json');
}

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
  const raw = parseConfigText(fs.readFileSync(file, 'utf8'), file);
  const bareEnvKeys: string[] = [];
  const substituted = substituteEnv(raw, env, loc.usedEnv, file, '', (key, variable) => bareEnvKeys.push(`${key} <- $${variable}`));
  // Unknown keys and sections of the wrong shape, the queue section's included (it is checked in
  // full where it is used, see src/distributed/queue-config.ts), get one line with a did-you-mean.
  const shape = shapeProblem(configSchema, substituted, '') ?? queueShapeProblem(substituted);
  if (shape) throw new ConfigError(`config ${file}: ${shape}`);
  try {
    const conf = validateWithSchema<Omit<GoshiftConfig, 'source' | 'bareEnvKeys'>>(configSchema, substituted);
    registerConfiguredPlugins(conf.plugins, file);
    // A relative log directory is relative to the config file, wherever goshift is started from.
    if (conf.log.dir && !path.isAbsolute(conf.log.dir)) conf.log.dir = path.resolve(path.dirname(file), conf.log.dir);
    return { ...conf, source: file, bareEnvKeys };
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`config ${file} is invalid: ${oneLine((err as Error).message)}`, { cause: err });
  }
}

/** The shape problem of the config's `queue` section, when there is one. */
function queueShapeProblem(config: unknown): string | null {
  const queue = (config as Record<string, unknown>).queue;
  return queue === undefined || queue === null ? null : shapeProblem(queueConfigSchema, queue, 'queue');
}

/** Register the config's extra plugins (paths relative to the config file). */
function registerConfiguredPlugins(plugins: Record<string, unknown>, file: string): void {
  for (const [type, modulePath] of Object.entries(plugins ?? {})) {
    if (typeof modulePath !== 'string' || !modulePath) throw new ConfigError(`config ${file}: plugins.${type} must be a module path, got ${JSON.stringify(modulePath)}`);
    registerPluginModule(type, path.resolve(path.dirname(file), modulePath));
  }
}

/**
 * `JSON.parse` a config file's text. A syntax error names the file, line and column and never
 * quotes the text: a config file holds passwords (the parser's own message is not kept, not even
 * as the cause, because it quotes the text around the error).
 * @throws ConfigError `config etc/prod.json is not valid JSON at line 6 column 17: unexpected character ...`
 */
export function parseConfigText(text: string, file: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch {
    const at = jsonSyntaxError(body);
    const where = at ? ` at line ${at.line} column ${at.column}: ${at.reason}` : '';
    throw new ConfigError(`config ${file} is not valid JSON${where}`);
  }
}

function oneLine(text: string): string {
  return text.split('\n').map((s) => s.trim()).filter(Boolean).join('; ');
}
