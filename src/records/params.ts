/**
 * Params keys of the core mappings between record kinds (row <-> entry). They are store-neutral,
 * so they live here and not in a plugin; `src/runtime/job-spec.ts` merges this schema with the
 * core and plugin keys when it parses a task's params.
 */
import type { TaskParams } from '../sdk';

/** Validated mapping params (defaults applied). */
export interface MappingParams {
  key_template: string;
  value_format: 'auto' | 'hash' | 'json' | 'string' | 'envelope';
  key_column: string;
  value_column: string;
  ttl_column: string;
  expire_at_column: string;
  ttl_seconds: number;
}

/** Value formats of a row <-> entry mapping. */
export const VALUE_FORMATS = ['auto', 'hash', 'json', 'string', 'envelope'] as const;

/** convict schema of the mapping params keys. */
export const mappingParamsSchema = {
  key_template: { doc: 'row <-> entry: key built from row columns, e.g. "user:{id}"; entry -> row parses keys with it back into columns.', format: String, default: '' },
  value_format: {
    doc: 'row <-> entry value: "hash" (one field per column), "json" (a JSON object string), "string" (value_column only), "envelope" (the whole entry, any type, with its absolute expiry, as the portable envelope JSON in value_column and the key in key_column: persist and restore), "auto" (row -> entry: hash; entry -> row: by the entry\'s type). Default is "auto".',
    format: (v: unknown) => {
      if (typeof v !== 'string' || !(VALUE_FORMATS as readonly string[]).includes(v)) throw new Error(`params.value_format must be one of ${VALUE_FORMATS.map((a) => `"${a}"`).join(', ')}, got ${JSON.stringify(v)}`);
    },
    default: 'auto',
  },
  key_column: { doc: 'entry -> row: column receiving the whole key. Default: "key" without key_template, none with it.', format: String, default: '' },
  value_column: { doc: 'row <-> entry: column holding a string value. Default is "value".', format: String, default: 'value' },
  ttl_column: { doc: 'row <-> entry: column holding the remaining TTL in ms (entry -> row writes it, row -> entry uses it). Default: none.', format: String, default: '' },
  expire_at_column: {
    doc: 'row <-> entry: column holding the absolute expiry in epoch ms (NULL = never expires); entry -> row writes it, row -> entry uses it before ttl_column and ttl_seconds, so a restore made later keeps the same expiry and skips keys already expired. Default: none.',
    format: String,
    default: '',
  },
  ttl_seconds: {
    doc: 'row -> entry: TTL for every entry, in seconds; 0 = no TTL. Default is 0.',
    format: (v: unknown) => {
      if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new Error(`params.ttl_seconds must be a number >= 0, got ${JSON.stringify(v)}`);
    },
    default: 0,
  },
};

/** The mapping params of validated task params. */
export function mappingParams(params: TaskParams): MappingParams {
  return params as unknown as MappingParams;
}
