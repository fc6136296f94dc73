import type { Plugin } from './contract';
import { PluginError } from './errors';

/**
 * Store type -> plugin loader. Adding a store is a new `plugins/<type>/` folder plus one line here.
 * Plugins load on first use, so a MySQL task never pays for loading the Redis client (each worker
 * thread loads its own copy). The conformance suite in `test/` runs against every plugin listed.
 */
const loaders: Record<string, () => Plugin> = {
  mysql: () => require('../plugins/mysql').default,
  redis: () => require('../plugins/redis').default,
};

const loaded = new Map<string, Plugin>();

/** Names of the registered store types, for messages. */
export function knownTypes(): string[] {
  return Object.keys(loaders).sort();
}

/** The plugin registered for a type (loaded on first use), or undefined. */
export function getPlugin(type: string): Plugin | undefined {
  const key = type.trim().toLowerCase();
  if (!Object.hasOwn(loaders, key)) return undefined;
  let plugin = loaded.get(key);
  if (!plugin) {
    plugin = loaders[key]();
    loaded.set(key, plugin);
  }
  return plugin;
}

/** Every registered plugin (loads them all; for the conformance suite and tooling). */
export function allPlugins(): Plugin[] {
  return knownTypes().map((type) => getPlugin(type)!);
}

/**
 * The plugin for a store type, with the role the task needs.
 * @throws PluginError naming the type, where it came from and the known types
 */
export function resolvePlugin(type: string, role: 'reader' | 'writer', where: string): Plugin {
  const plugin = getPlugin(type);
  if (!plugin) throw new PluginError(`unknown store type "${type}" in ${where} (known: ${knownTypes().join(', ')})`);
  if (!plugin[role]) throw new PluginError(`store type "${type}" in ${where} has no ${role}`);
  return plugin;
}
