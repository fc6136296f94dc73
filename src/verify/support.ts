/**
 * Which pairs `goshift verify` compares, and how: the one place the verify command decides it and
 * the `--help` text describes it.
 */
import type { Plugin } from '../sdk';

/** How verify compares a pair: the store's own verifier (same store on both sides), or by reading the target back through its reader. */
export type VerifyMethod = 'own' | 'read-back';

/**
 * How `goshift verify` compares a `from -> to` pair, or null when it cannot (the target store has no reader).
 * @example verifyMethod(mysql, mysql) // 'own'; verifyMethod(mysql, redis) // 'read-back'
 */
export function verifyMethod(from: Plugin, to: Plugin): VerifyMethod | null {
  if (from.type === to.type && from.verify) return 'own';
  return to.reader ? 'read-back' : null;
}

/**
 * What verify accepts among these plugins, for the help text, from {@link verifyMethod}:
 * @example verifySupport(allPlugins()) // 'every pair whose target is dynamodb, file, mysql, redis or s3; mysql->mysql and redis->redis with their own verifier'
 */
export function verifySupport(plugins: Plugin[]): string {
  const readable = plugins.filter((to) => plugins.some((from) => from.reader && verifyMethod(from, to) !== null)).map((p) => p.type);
  const own = plugins.filter((p) => verifyMethod(p, p) === 'own').map((p) => `${p.type}->${p.type}`);
  const list = (names: string[], word: string) => (names.length > 1 ? `${names.slice(0, -1).join(', ')} ${word} ${names[names.length - 1]}` : names.join(''));
  if (readable.length === 0) return 'no pair: no store can be read back';
  return `every pair whose target is ${list(readable, 'or')}${own.length ? `; ${list(own, 'and')} with their own verifier` : ''}`;
}
