import { S3Client } from '@aws-sdk/client-s3';
import type { S3Side } from './config';

// goshift runs on Node 20 (package.json engines); the SDK's notice that later SDK releases need
// Node 22 would print on every run and worker thread. Set the variable to "false" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** An S3 client for one connection entry: the SDK's standard retry strategy (3 attempts, backoff with jitter). */
export function s3Client(side: S3Side): S3Client {
  const c = side.conn;
  return new S3Client({
    region: c.region || 'us-east-1',
    endpoint: c.endpoint || undefined,
    forcePathStyle: c.forcePathStyle,
    credentials: c.accessKeyId ? { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken || undefined } : undefined,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 5000, requestTimeout: 120_000 },
  });
}

/** `host:port` the side talks to, for messages. */
export function hostPort(side: S3Side): string {
  if (side.conn.endpoint) {
    try {
      const u = new URL(side.conn.endpoint);
      return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
    } catch {
      return side.conn.endpoint;
    }
  }
  return `s3.${side.conn.region || 'us-east-1'}.amazonaws.com:443`;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'TimeoutError']);
const CREDENTIAL_NAMES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'ExpiredToken', 'InvalidToken', 'CredentialsProviderError', 'UnrecognizedClientException']);
const THROTTLE_NAMES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestTimeout', 'RequestTimeTooSkewed', 'InternalError', 'ServiceUnavailable', 'RequestLimitExceeded']);

interface AwsLikeError {
  name?: string;
  code?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

/** The errors of a chain (`cause` links), outermost first. */
function chain(err: unknown): AwsLikeError[] {
  const out: AwsLikeError[] = [];
  for (let e = err; e && typeof e === 'object' && out.length < 8; e = (e as AwsLikeError).cause) out.push(e as AwsLikeError);
  return out;
}

function isNetwork(e: AwsLikeError): boolean {
  return NETWORK_CODES.has(e.code ?? '') || NETWORK_CODES.has(e.name ?? '');
}

/** Throttling, 5xx and lost connections: a retry of the shard from its last position may succeed. */
export function isS3Transient(err: unknown): boolean {
  return chain(err).some((e) => isNetwork(e) || Boolean(e.$retryable) || THROTTLE_NAMES.has(e.name ?? '') || (e.$metadata?.httpStatusCode ?? 0) >= 500);
}

/**
 * One line for an S3 failure: a missing bucket, an unreachable endpoint (naming host:port) and
 * refused credentials say so and what to check; anything else gives the SDK's message.
 */
export function describeS3Error(err: unknown, side: S3Side, key?: string): string {
  const errs = chain(err);
  const where = `${side.entry}`;
  if (errs.some((e) => e.name === 'NoSuchBucket' || (e.name === 'NotFound' && key === undefined))) return `bucket "${side.bucket}" does not exist at ${hostPort(side)} (${where}): create it or fix "bucket" in the entry`;
  if (errs.some(isNetwork)) return `cannot reach S3 at ${hostPort(side)} (${where}): ${errs.find(isNetwork)?.code ?? 'connection failed'}; is the endpoint right and the server running?`;
  const cred = errs.find((e) => CREDENTIAL_NAMES.has(e.name ?? '') || e.$metadata?.httpStatusCode === 403);
  if (cred) {
    // A HEAD request's error has no body, so the SDK names it "Unknown": say what is known.
    const why = cred.name && cred.name !== 'Unknown' && cred.name !== 'Forbidden' ? cred.name : `HTTP ${cred.$metadata?.httpStatusCode ?? 403}`;
    return `S3 at ${hostPort(side)} refused the credentials of ${where} (${why}): check accessKeyId/secretAccessKey or the default credential chain`;
  }
  const first = (errs[0] as Error | undefined)?.message ?? String(err);
  return `S3 request to bucket "${side.bucket}"${key !== undefined ? ` key ${key}` : ''} at ${hostPort(side)} (${where}) failed: ${first.split('\n')[0]}`;
}

/** Run `fn` over `items`, at most `limit` at once, results in order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}

/** Requests one session keeps in flight per batch (object reads and puts). */
export const OBJECT_CONCURRENCY = 16;

