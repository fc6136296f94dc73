import type { Plugin } from './contract';
import { PluginError } from './errors';
import mysql from '../plugins/mysql';
import redis from '../plugins/redis';

/**
 * Store type -> plugin. Adding a store is a new `plugins/<type>/` folder plus one line here.
 * The conformance suite in `test/` runs against every plugin listed.
 */
export const plugins: ReadonlyMap<string, Plugin> = new Map<string, Plugin>([
  [mysql.type, mysql],
  [redis.type, redis],
]);

/** Names of the registered store types, for messages. */
export function knownTypes(): string[] {
  return [...plugins.keys()].sort();
}

/**
 * The plugin for a store type, with the role the task needs.
 * @throws PluginError naming the type, where it came from and the known types
 */
export function resolvePlugin(type: string, role: 'reader' | 'writer', where: string): Plugin {
  const plugin = plugins.get(type.trim().toLowerCase());
  if (!plugin) throw new PluginError(`unknown store type "${type}" in ${where} (known: ${knownTypes().join(', ')})`);
  if (!plugin[role]) throw new PluginError(`store type "${type}" in ${where} has no ${role}`);
  return plugin;
}
