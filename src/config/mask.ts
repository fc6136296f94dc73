/** Keys whose values are secrets wherever they appear in a config. */
const secretKey = /pass(word)?|secret|token|credential|private/i;

/**
 * Deep copy of a config value with every secret replaced by `***`, for logs, errors and `plan`.
 * Passwords embedded in URLs (`redis://user:pw@host`) are masked too.
 */
export function maskSecrets<T>(value: T): T {
  if (typeof value === 'string') return value.replace(/(\/\/[^:/@\s]*:)[^@/\s]+@/g, '$1***@') as T;
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = secretKey.test(k) && v !== '' && v !== null && v !== undefined ? '***' : maskSecrets(v);
    }
    return out as T;
  }
  return value;
}
