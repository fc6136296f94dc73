import convict from 'convict';
import { registerStrictNumberFormats } from './formats';

// Every schema goshift validates (config, plugin connections, params) reads numbers strictly.
registerStrictNumberFormats();

/** convict schema of the top level of `etc/<env>.json`. Store entries are checked by each plugin. */
export const configSchema = {
  task_meta: {
    host: { doc: 'Metadata MySQL host.', format: String, default: '127.0.0.1' },
    port: { doc: 'Metadata MySQL port.', format: 'port', default: 3306 },
    user: { doc: 'Metadata MySQL user.', format: String, default: 'root' },
    password: { doc: 'Metadata MySQL password.', format: String, default: '', sensitive: true },
    db: { doc: 'Schema holding task_def_sync_manager and the run tables.', format: String, default: 'goshift' },
    socketPath: { doc: 'Unix socket instead of host/port (optional).', format: String, default: '' },
  },
  log: {
    level: { doc: 'Log level.', format: ['error', 'warn', 'info', 'debug'], default: 'info' },
    dir: { doc: 'Directory for log files, relative to the config file\'s directory. Empty disables file logs.', format: String, default: 'logs' },
  },
  serve: {
    host: { doc: '`goshift serve`: address to bind. Default is 127.0.0.1 (loopback only).', format: String, default: '127.0.0.1' },
    port: { doc: '`goshift serve`: TCP port. Default is 7700 (`--port 0` picks a free one).', format: 'port', default: 7700 },
    token: { doc: '`goshift serve`: bearer token required by every request that changes state; empty refuses them. Use "${GOSHIFT_SERVE_TOKEN:-}".', format: String, default: '', sensitive: true },
    scheduler_reload_seconds: { doc: 'How often the scheduler re-reads the task table for new or changed `params.schedule`. Default is 10.', format: 'nat', default: 10 },
  },
  plugins: { doc: 'Extra store plugins: store type -> module path (absolute, or relative to the config file).', format: Object, default: {} },
  from: { doc: 'Source connections: from.<type>.<app>_<db>.', format: Object, default: {} },
  to: { doc: 'Target connections: to.<type>.<app>_<db>.', format: Object, default: {} },
  queue: {
    doc: 'Scale-out queue (`goshift worker`, `--distributed`): a Redis connection and a queue name; checked by src/distributed/queue-config.ts when used.',
    format: (v: unknown) => {
      if (v !== null && (typeof v !== 'object' || Array.isArray(v))) throw new Error(`must be an object, got ${JSON.stringify(v)}`);
    },
    default: null as Record<string, unknown> | null,
  },
};

/** Validated environment config. */
export interface GoshiftConfig {
  task_meta: { host: string; port: number; user: string; password: string; db: string; socketPath: string };
  log: { level: 'error' | 'warn' | 'info' | 'debug'; dir: string };
  /** `goshift serve` and the scheduler. */
  serve: { host: string; port: number; token: string; scheduler_reload_seconds: number };
  /** Extra store plugins: type -> module path. */
  plugins: Record<string, string>;
  from: Record<string, Record<string, Record<string, unknown>>>;
  to: Record<string, Record<string, Record<string, unknown>>>;
  /** The `queue` section as written (validated where it is used); null when absent. */
  queue: Record<string, unknown> | null;
  /** Absolute path of the file the config was read from. */
  source: string;
  /**
   * Keys whose value was replaced by goshift's bare env-name form (`key <- $VAR`, never the
   * value), so a password that happens to equal a variable's name does not change silently.
   */
  bareEnvKeys: string[];
}

/**
 * Validate a plain object against a convict schema, rejecting unknown keys.
 * @throws Error whose message lists every offending key (callers wrap it with context)
 */
export function validateWithSchema<T>(schema: Record<string, unknown>, value: unknown): T {
  const conf = convict(schema as convict.Schema<T>);
  conf.load(value as object);
  conf.validate({ allowed: 'strict' });
  return conf.getProperties() as T;
}
