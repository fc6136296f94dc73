import convict from 'convict';

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
    dir: { doc: 'Directory for log files, relative to the working directory. Empty disables file logs.', format: String, default: 'logs' },
  },
  from: { doc: 'Source connections: from.<type>.<app>_<db>.', format: Object, default: {} },
  to: { doc: 'Target connections: to.<type>.<app>_<db>.', format: Object, default: {} },
};

/** Validated environment config. */
export interface GoshiftConfig {
  task_meta: { host: string; port: number; user: string; password: string; db: string; socketPath: string };
  log: { level: 'error' | 'warn' | 'info' | 'debug'; dir: string };
  from: Record<string, Record<string, Record<string, unknown>>>;
  to: Record<string, Record<string, Record<string, unknown>>>;
  /** Absolute path of the file the config was read from. */
  source: string;
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
