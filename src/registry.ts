import type { Plugin } from './sdk';
import { didYouMean } from './did-you-mean';
import { PluginError } from './errors';

/**
 * Store type -> plugin loader. Adding a store is a new `plugins/<type>/` folder plus one line here.
 * Plugins load on first use, so a MySQL task never pays for loading the Redis client (each worker
 * thread loads its own copy). The conformance suite in `test/` runs against every plugin listed.
 */
const builtIn: Record<string, () => Plugin> = {
  mysql: () => require('../plugins/mysql').default,
  redis: () => require('../plugins/redis').default,
  file: () => require('../plugins/file').default,
  dynamodb: () => require('../plugins/dynamodb').default,
  s3: () => require('../plugins/s3').default,
};

/** Built-in plugins plus those registered from the config's `plugins` section. */
const loaders: Record<string, () => Plugin> = { ...builtIn };

const loaded = new Map<string, Plugin>();

/**
 * Register a plugin that lives outside goshift (config `plugins: { "<type>": "<module path>" }`):
 * the module default-exports a {@link Plugin} whose `type` is `<type>`. Registering the same type
 * and path again is a no-op; a built-in type cannot be replaced.
 * @throws PluginError when the type is built in or the module does not export a plugin of that type
 */
export function registerPluginModule(type: string, modulePath: string): void {
  const key = type.trim().toLowerCase();
  if (Object.hasOwn(builtIn, key)) throw new PluginError(`plugins.${type}: "${key}" is a built-in store type and cannot be replaced`);
  loaders[key] = () => {
    let mod: { default?: Plugin } & Partial<Plugin>;
    try {
      mod = require(modulePath) as typeof mod;
    } catch (err) {
      throw new PluginError(`plugins.${type}: cannot load ${modulePath}: ${(err as Error).message}`, { cause: err });
    }
    const plugin = (mod.default ?? mod) as Plugin;
    if (!plugin || plugin.type !== key) throw new PluginError(`plugins.${type}: ${modulePath} does not default-export a plugin of type "${key}"`);
    return plugin;
  };
  loaded.delete(key);
}

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

/** Every built-in plugin (loads them all; for the conformance suite and tooling). */
export function allPlugins(): Plugin[] {
  return Object.keys(builtIn).sort().map((type) => getPlugin(type)!);
}

/**
 * The plugin for a store type, with the role the task needs.
 * @throws PluginError naming the type, where it came from and the known types
 */
export function resolvePlugin(type: string, role: 'reader' | 'writer', where: string): Plugin {
  const plugin = getPlugin(type);
  if (!plugin) throw new PluginError(`unknown store type "${type}" in ${where}${didYouMean(type, knownTypes())} (known: ${knownTypes().join(', ')})`);
  if (!plugin[role]) throw new PluginError(`store type "${type}" in ${where} has no ${role}`);
  return plugin;
}
