import type { Plugin } from '../sdk';
import { isTransient } from '../errors';

/**
 * The transient test of a run: passing network trouble any store can meet (see `isTransient`), or
 * an error one of the run's plugins declares transient (`Plugin.isTransient`).
 */
export function transientFor(plugins: Plugin[]): (err: unknown) => boolean {
  return (err) => isTransient(err) || plugins.some((p) => inCauseChain(err, (e) => Boolean(p.isTransient?.(e))));
}

/** Whether `test` holds for an error or any error in its `cause` chain. */
export function inCauseChain(err: unknown, test: (e: unknown) => boolean): boolean {
  for (let e = err as { cause?: unknown } | undefined, depth = 0; e && depth < 10; e = e.cause as typeof e, depth++) {
    if (test(e)) return true;
  }
  return false;
}
