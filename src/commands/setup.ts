import type { Logger } from 'winston';
import { loadConfig } from '../config/load';
import type { GoshiftConfig } from '../config/schema';
import type { CommonOptions } from '../cli-args';
import { createLogger } from '../logger';

/** Config and logger every command starts from. */
export interface CommandSetup {
  config: GoshiftConfig;
  logger: Logger;
}

/** Load `<config-dir>/<env>.json` and create the logger it asks for. */
export function setupCommand(opts: CommonOptions): CommandSetup {
  const config = loadConfig({ env: opts.env, dir: opts.configDir, usedEnv: opts.usedEnv });
  if (opts.logLevel) config.log.level = opts.logLevel as GoshiftConfig['log']['level'];
  const logger = createLogger(config.log);
  if (config.bareEnvKeys.length) {
    logger.info(`config ${config.source}: taken from the environment by goshift's bare-name form (-UsedEnv=false turns it off): ${config.bareEnvKeys.join(', ')}`);
  }
  return { config, logger };
}
