/**
 * Checks the params of a task row against a convict-style schema on the values exactly as written
 * in the JSON, with messages in params' own words (`params.pk must be an object {"src": ...,
 * "dest": ...}, got "id"`). convict then only applies defaults: it coerces (`"abc"` for a number
 * becomes null), reports in its own words, and splits keys at dots, so a `column_map` key `a.b`
 * would be read as a path.
 */
import { didYouMean } from './did-you-mean';

type Schema = Record<string, unknown>;
/**
 * A convict property; `given` (goshift's own) checks only a value the task writes, not the
 * default: a size whose default 0 means "the writer's own" refuses a written 0.
 */
type Property = { format?: unknown; default?: unknown; given?: (value: unknown) => void };

/** A schema node with a `default` is a property (a leaf), as convict defines it; others are groups. */
function isProperty(node: unknown): node is Property {
  return Boolean(node) && typeof node === 'object' && 'default' in (node as object);
}

function isGroup(node: unknown): node is Schema {
  return Boolean(node) && typeof node === 'object' && !Array.isArray(node) && !isProperty(node);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return Boolean(value) && typeof value === 'object' && !Array.isArray(value);
}

const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

/** What a constructor format (`String`, `Boolean`, ...) or a named convict format expects. */
const typeChecks = new Map<unknown, [(v: unknown) => boolean, string]>([
  [String, [(v) => typeof v === 'string', 'a string']],
  [Boolean, [(v) => typeof v === 'boolean', 'true or false']],
  [Number, [(v) => typeof v === 'number' && Number.isFinite(v), 'a number']],
  [Object, [isPlainObject, 'an object']],
  [Array, [Array.isArray, 'a list']],
  ['nat', [(v) => Number.isInteger(v) && (v as number) >= 0, 'a whole number >= 0']],
  ['int', [Number.isInteger, 'a whole number']],
  ['integer', [Number.isInteger, 'a whole number']],
]);

function checkProperty(node: Property, raw: unknown, name: string): void {
  node.given?.(raw);
  const { format } = node;
  if (typeof format === 'function' && !typeChecks.has(format)) {
    try {
      (format as (v: unknown) => void)(raw);
    } catch (err) {
      const message = (err as Error).message;
      throw new Error(message.startsWith('params.') ? message : `params.${name} ${message}`);
    }
    return;
  }
  if (Array.isArray(format)) {
    if (!format.includes(raw)) throw new Error(`params.${name} must be one of ${format.map(show).join(', ')}, got ${show(raw)}`);
    return;
  }
  const check = typeChecks.get(format);
  if (check && !check[0](raw)) throw new Error(`params.${name} must be ${check[1]}, got ${show(raw)}`);
}

/**
 * Check params as written against the schema: unknown keys, groups given as something other than
 * an object, and every property's format.
 * @throws Error whose message is one `params.<key> ...` line
 * @example checkParamsAsWritten(coreParamsSchema, { pk: 'id' }) // throws 'params.pk must be an object {"src": ..., "dest": ...}, got "id"'
 */
export function checkParamsAsWritten(schema: Schema, value: Record<string, unknown>, prefix = ''): void {
  for (const [key, raw] of Object.entries(value)) {
    const name = `${prefix}${key}`;
    const node = Object.hasOwn(schema, key) ? schema[key] : undefined;
    if (!isProperty(node) && !isGroup(node)) {
      const owner = prefix ? ` (${prefix.slice(0, -1)} has ${Object.keys(schema).join(', ')})` : '';
      throw new Error(`params.${name} is not a known key${didYouMean(key, Object.keys(schema))}${owner}`);
    }
    if (raw === undefined) continue;
    if (isProperty(node)) checkProperty(node, raw, name);
    else if (isPlainObject(raw)) checkParamsAsWritten(node, raw, `${name}.`);
    else throw new Error(`params.${name} must be an object {${Object.keys(node).map((k) => `"${k}": ...`).join(', ')}}, got ${show(raw)}`);
  }
}

/**
 * Split params into what convict may see and the object values of properties (free-form maps
 * such as `column_map`), which convict must not walk: their keys may contain dots. Put the maps
 * back into convict's result with {@link restoreMaps}.
 */
export function setMapsAside(schema: Schema, value: Record<string, unknown>): { forConvict: Record<string, unknown>; maps: [string[], unknown][] } {
  const maps: [string[], unknown][] = [];
  const walk = (node: Schema, obj: Record<string, unknown>, path: string[]): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [key, raw] of Object.entries(obj)) {
      const child = node[key];
      if (isProperty(child) && isPlainObject(raw)) maps.push([[...path, key], raw]);
      else if (isGroup(child) && isPlainObject(raw)) out[key] = walk(child, raw, [...path, key]);
      else out[key] = raw;
    }
    return out;
  };
  return { forConvict: walk(schema, value, []), maps };
}

/** Put the maps {@link setMapsAside} took out back into validated params. */
export function restoreMaps<T extends object>(params: T, maps: [string[], unknown][]): T {
  for (const [path, raw] of maps) {
    let target = params as Record<string, unknown>;
    for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
    target[path[path.length - 1]] = raw;
  }
  return params;
}
