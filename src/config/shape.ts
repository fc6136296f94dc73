/**
 * The shape of a config section against its convict schema, checked before convict sees it:
 * convict reports an unknown key as "not declared in the schema" and a section given as a string
 * or holding an object where a value belongs as "did you override its parent?" or a JavaScript
 * TypeError. Here each gets one line naming the path and what is expected, with a did-you-mean.
 */
import { didYouMean } from '../did-you-mean';

/** Whether a schema node is a convict property (a value) rather than a section of keys. */
function isProperty(node: unknown): boolean {
  return typeof node === 'object' && node !== null && ('format' in node || 'default' in node);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** How a value is named in a message: its JSON, cut short. */
function shown(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * The first shape problem of `value` against `schema`, as one line starting with the path, or null.
 * Only sections and key names are checked; values are left to the schema's formats.
 * @param path where `value` sits in the config file, e.g. `queue`
 * @example shapeProblem(queueConfigSchema, { hots: 'x' }, 'queue') // 'queue.hots: unknown key (did you mean "host"?); expected one of host, port, ...'
 */
export function shapeProblem(schema: Record<string, unknown>, value: unknown, path: string): string | null {
  const keys = Object.keys(schema);
  if (!isPlainObject(value)) return `${path || 'the config'} must be an object with the keys ${keys.join(', ')}, got ${shown(value)}`;
  for (const [key, v] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (!Object.prototype.hasOwnProperty.call(schema, key)) return `${at}: unknown key${didYouMean(key, keys)}; expected one of ${keys.join(', ')}`;
    const node = schema[key];
    if (isProperty(node)) {
      if ((node as Record<string, unknown>).format === Object && !isPlainObject(v)) return `${at} must be an object (${describe(node as Record<string, unknown>)}), got ${shown(v)}`;
      if (isPlainObject(v) && !propertyTakesObject(node as Record<string, unknown>)) return `${at} must be a single value (${describe(node as Record<string, unknown>)}), got an object`;
      continue;
    }
    const inner = shapeProblem(node as Record<string, unknown>, v, at);
    if (inner) return inner;
  }
  return null;
}

/** Whether a convict property holds an object (format Object, or an object/null default checked by a function). */
function propertyTakesObject(node: Record<string, unknown>): boolean {
  return node.format === Object || (typeof node.format === 'function' && node.format !== String && node.format !== Number && node.format !== Boolean && (node.default === null || isPlainObject(node.default)));
}

/** The property's doc, first sentence, for "what is expected". */
function describe(node: Record<string, unknown>): string {
  const doc = typeof node.doc === 'string' ? node.doc : '';
  return doc.split(/\.(\s|$)/)[0] || 'a value';
}
