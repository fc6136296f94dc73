import fs from 'node:fs';
import path from 'node:path';
import winston from 'winston';

/** Logger settings: the `log` section of the config. */
export interface LogSettings {
  /** error | warn | info | debug. Default is info. */
  level: string;
  /** Directory for `goshift.log`; empty disables the file. Default is `logs`. */
  dir: string;
}

/**
 * A winston logger writing human-readable lines to stderr and JSON lines to `<dir>/goshift.log`.
 * Used in the main thread and in every worker thread (each appends to the same file).
 */
export function createLogger(settings: LogSettings, defaultMeta: Record<string, unknown> = {}): winston.Logger {
  const transports: winston.transport[] = [
    new winston.transports.Console({
      stderrLevels: ['error', 'warn', 'info', 'debug'],
      format: winston.format.combine(
        winston.format.timestamp({ format: 'HH:mm:ss' }),
        winston.format.printf(({ timestamp, level, message }) => `${timestamp} ${level.padEnd(5)} ${message}`),
      ),
    }),
  ];
  if (settings.dir) {
    try {
      fs.mkdirSync(settings.dir, { recursive: true });
      transports.push(new winston.transports.File({
        filename: path.join(settings.dir, 'goshift.log'),
        format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
      }));
    } catch {
      // An unwritable log dir must not stop a sync: console logging still works.
    }
  }
  return winston.createLogger({ level: settings.level, defaultMeta, transports });
}
