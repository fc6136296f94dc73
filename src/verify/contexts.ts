import type { PluginContext } from '../sdk';
import type { RowRule } from './canonical';

/** Reader and writer contexts of a verify: portable records on both sides (no native payloads). */
export interface VerifyContexts {
  source: PluginContext;
  writer: PluginContext;
  targetRead: PluginContext;
  rows: RowRule;
}
