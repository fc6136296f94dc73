import { ConfigError } from '../errors';

const placeholder = /\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}/g;

/**
 * Replace `${VAR}` and `${VAR:-default}` in every string of a parsed config, and, when `usedEnv`
 * is true, goshift's own form: a string value that is exactly the name of a set environment
 * variable becomes that variable's value.
 *
 * @param where path of the config file, for error messages
 * @param onBareName called for each value replaced by goshift's bare-name form (path and variable, never the value)
 * @throws ConfigError when `${VAR}` names an unset variable without a default
 * @example substituteEnv({ password: '${DB_PASS:-}' }, process.env, true, 'etc/prod.json')
 */
export function substituteEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  usedEnv: boolean,
  where: string,
  path = '',
  onBareName?: (path: string, variable: string) => void,
): unknown {
  if (typeof value === 'string') {
    if (usedEnv && /^[A-Za-z_][A-Za-z0-9_]*$/.test(value) && env[value] !== undefined) {
      onBareName?.(path, value);
      return env[value];
    }
    return value.replace(placeholder, (_all, name: string, hasDefault?: string, fallback?: string) => {
      const found = env[name];
      if (found !== undefined && !(hasDefault && found === '')) return found;
      if (hasDefault !== undefined) return fallback ?? '';
      throw new ConfigError(`${where}: ${path} uses \${${name}} but ${name} is not set (set it or write \${${name}:-default})`);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, usedEnv, where, `${path}[${i}]`, onBareName));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteEnv(v, env, usedEnv, where, path ? `${path}.${k}` : k, onBareName);
    return out;
  }
  return value;
}
