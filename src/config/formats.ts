import convict from 'convict';

/** A whole number written as digits only (what `${PORT:-3306}` substitution produces). */
const digitsOnly = /^\s*-?\d+\s*$/;

/**
 * Strings of digits become numbers; anything else is left as written so the format check fails
 * on it. convict's own coercion is `parseInt`, which reads `"3308x"` as 3308 and `"12.5"` as 12.
 */
function strictInteger(value: unknown): unknown {
  return typeof value === 'string' && digitsOnly.test(value) ? Number(value) : value;
}

function check(ok: boolean, expected: string): void {
  if (!ok) throw new Error(`must be ${expected}`);
}

/**
 * Replace convict's `port`, `nat` and `int` formats (and add `optional-nat`: a `nat` or null) (used by the config schema, every plugin's
 * connection schema and params schema) with strict ones: a number, or a string of digits only
 * (environment substitution yields strings). `"3308x"`, `"12.5"` and `""` are rejected instead of
 * being cut down by `parseInt`. Registering twice is harmless.
 * @example convict({ port: { format: 'port', default: 3306 } }).load({ port: '3308x' }).validate() // throws
 */
export function registerStrictNumberFormats(): void {
  convict.addFormat({
    name: 'port',
    coerce: strictInteger,
    validate: (x: unknown) => check(Number.isInteger(x) && (x as number) >= 1 && (x as number) <= 65535, 'a port number 1-65535'),
  });
  convict.addFormat({
    name: 'nat',
    coerce: strictInteger,
    validate: (x: unknown) => check(Number.isInteger(x) && (x as number) >= 0, 'a whole number >= 0'),
  });
  convict.addFormat({
    name: 'optional-nat',
    coerce: strictInteger,
    validate: (x: unknown) => check(x === null || (Number.isInteger(x) && (x as number) >= 0), 'a whole number >= 0 (or null for the default)'),
  });
  for (const name of ['int', 'integer']) {
    convict.addFormat({ name, coerce: strictInteger, validate: (x: unknown) => check(Number.isInteger(x), 'a whole number') });
  }
}
