import type { ConnectionConfig, Plugin } from '../sdk';
import { ConfigError } from '../errors';
import type { GoshiftConfig } from './schema';
import { validateWithSchema } from './schema';
import { shapeProblem } from './shape';

/**
 * The connection entry a task side uses: `<side>.<type>.<app>_<db>`, validated with the plugin's
 * connection schema (defaults applied).
 * @throws ConfigError naming the exact path looked up and the config file
 * @example resolveConnection(config, 'from', mysqlPlugin, 'local_dw', 'blog') // from.mysql.local_dw_blog
 */
export function resolveConnection(config: GoshiftConfig, side: 'from' | 'to', plugin: Plugin, app: string, db: string): ConnectionConfig {
  const name = `${app}_${db}`;
  const path = `${side}.${plugin.type}.${name}`;
  const entry = config[side]?.[plugin.type]?.[name];
  if (!entry || typeof entry !== 'object') {
    const known = Object.keys(config[side]?.[plugin.type] ?? {});
    const hint = known.length ? ` (entries under ${side}.${plugin.type}: ${known.join(', ')})` : ` (no ${side}.${plugin.type} entries at all)`;
    throw new ConfigError(`config ${config.source} has no entry ${path}${hint}`);
  }
  const shape = shapeProblem(plugin.connectionSchema, entry, path);
  if (shape) throw new ConfigError(`config ${config.source}: ${shape}`);
  try {
    return validateWithSchema<ConnectionConfig>(plugin.connectionSchema, entry);
  } catch (err) {
    const detail = (err as Error).message.split('\n').map((s) => s.trim()).filter(Boolean).join('; ');
    throw new ConfigError(`config ${config.source} entry ${path} is invalid: ${detail}`, { cause: err });
  }
}
