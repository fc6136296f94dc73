import type { PluginContext } from '../../src/sdk';
import { hostPort, s3Client } from './client';
import { sideOf } from './config';
import { checkBucket } from './split';

/** `goshift conn test` for an s3 entry: the bucket answers a HEAD request with these credentials. */
export async function checkS3(ctx: PluginContext, side: 'from' | 'to'): Promise<string> {
  const s = sideOf(ctx, side);
  const client = s3Client(s);
  try {
    await checkBucket(client, s);
    return `S3 at ${hostPort(s)}, bucket "${s.bucket}" answers`;
  } finally {
    client.destroy();
  }
}
