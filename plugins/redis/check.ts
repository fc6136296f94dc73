import type { PluginContext } from '../../src/sdk';
import { openRedis } from './client';

/** `goshift conn test` for a redis entry: connect (and authenticate), name version, mode and db. */
export async function checkRedis(ctx: PluginContext, side: 'from' | 'to'): Promise<string> {
  const handle = await openRedis(ctx, side === 'from' ? 'source' : 'target');
  try {
    await handle.client.ping();
    const mode = handle.cluster ? `Cluster of ${handle.masters().length} masters via ${handle.label}` : `at ${handle.label}, db ${handle.db}`;
    return `Redis ${handle.info.version} ${mode}`;
  } finally {
    await handle.close();
  }
}
