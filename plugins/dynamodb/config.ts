import { setMaxListeners } from 'node:events';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { PluginContext } from '../../src/sdk';

// goshift runs on Node 20 by design: the SDK's notice that later SDK releases need Node 22 would
// print on every worker thread's first request and bury the CLI's one-line messages.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** convict schema of a DynamoDB connection entry (`from.dynamodb.<app>_<db>` / `to.dynamodb.<app>_<db>`). */
export const dynamodbConnectionSchema = {
  region: {
    doc: 'AWS region, e.g. "us-east-1". Empty: the SDK default (AWS_REGION), or "us-east-1" when an endpoint is set.',
    format: String,
    default: '',
  },
  endpoint: {
    doc: 'Endpoint URL, e.g. "http://127.0.0.1:8000" for DynamoDB Local. Empty: the region\'s AWS endpoint.',
    format: String,
    default: '',
  },
  streamsEndpoint: {
    doc: 'DynamoDB Streams endpoint URL (-mode stream). Empty: `endpoint` when it is set (DynamoDB Local serves Streams there), else the region\'s AWS Streams endpoint.',
    format: String,
    default: '',
  },
  accessKeyId: { doc: 'Access key id. Empty: the SDK default credential chain (env, profile, role).', format: String, default: '', sensitive: true },
  secretAccessKey: { doc: 'Secret access key (with accessKeyId).', format: String, default: '', sensitive: true },
  sessionToken: { doc: 'Session token of temporary credentials (optional).', format: String, default: '', sensitive: true },
};

/** Validated DynamoDB connection entry. */
export interface DynamodbConnection {
  region: string;
  endpoint: string;
  streamsEndpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

function optionalBoolean(name: string): (v: unknown) => void {
  return (v) => {
    if (typeof v !== 'boolean') throw new Error(`params.${name} must be true or false, got ${JSON.stringify(v)}`);
  };
}

/** params keys only the DynamoDB plugin reads. */
export const dynamodbParamsSchema = {
  segments: {
    doc: 'Parallel-scan segments (TotalSegments): one shard per segment. 0 = worker_num. Default is 0.',
    format: (v: unknown) => {
      if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 1_000_000)) throw new Error(`params.segments must be an integer from 0 to 1000000, got ${JSON.stringify(v)}`);
    },
    default: 0,
  },
  consistent_read: { doc: 'Scan with strongly consistent reads. Default is false.', format: optionalBoolean('consistent_read'), default: false },
  filter_expression: {
    doc: 'Scan FilterExpression, e.g. "#s = :active" (items it drops are not read; the scan still reads the whole table). Default: none.',
    format: String,
    default: '',
  },
  filter_names: {
    doc: 'ExpressionAttributeNames of filter_expression, e.g. {"#s": "status"}. Default: none.',
    format: (v: unknown) => {
      if (!v || typeof v !== 'object' || Array.isArray(v) || !Object.entries(v).every(([k, x]) => k.startsWith('#') && typeof x === 'string')) throw new Error(`params.filter_names must map "#name" placeholders to attribute names, got ${JSON.stringify(v)}`);
    },
    default: {} as Record<string, string>,
  },
  filter_values: {
    doc: 'ExpressionAttributeValues of filter_expression in DynamoDB JSON, e.g. {":active": {"S": "yes"}, ":n": {"N": "5"}}. Default: none.',
    format: (v: unknown) => {
      const ok = v && typeof v === 'object' && !Array.isArray(v) && Object.entries(v).every(([k, x]) => k.startsWith(':') && x && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 1);
      if (!ok) throw new Error(`params.filter_values must map ":value" placeholders to DynamoDB JSON values like {"S": "x"} or {"N": "5"}, got ${JSON.stringify(v)}`);
    },
    default: {} as Record<string, unknown>,
  },
};

/** Write modes of a DynamoDB target: `put` replaces an item with the same key; `skip_existing` keeps it. */
export const dynamodbWriteModes = ['put', 'skip_existing'] as const;

/** Config entry path of a side, for messages: `from.dynamodb.app_main`. */
export function entryPath(ctx: PluginContext, side: 'from' | 'to'): string {
  return side === 'from' ? `from.dynamodb.${ctx.task.from_app}_${ctx.task.from_db}` : `to.dynamodb.${ctx.task.to_app}_${ctx.task.to_db}`;
}

function connectionOf(ctx: PluginContext): DynamodbConnection {
  const c = ctx.connection as Partial<DynamodbConnection>;
  return { region: c.region ?? '', endpoint: c.endpoint ?? '', streamsEndpoint: c.streamsEndpoint ?? '', accessKeyId: c.accessKeyId ?? '', secretAccessKey: c.secretAccessKey ?? '', sessionToken: c.sessionToken ?? '' };
}

/** `host:port` the client talks to, for messages (`127.0.0.1:8000`, `dynamodb.eu-west-1.amazonaws.com:443`). */
export function endpointHost(ctx: PluginContext): string {
  const c = connectionOf(ctx);
  if (!c.endpoint) return `dynamodb.${c.region || process.env.AWS_REGION || '<region>'}.amazonaws.com:443`;
  try {
    const url = new URL(c.endpoint);
    return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
  } catch {
    return c.endpoint;
  }
}

/** Client settings of a connection entry: keys from the entry, else the SDK default chain. */
function clientConfig(ctx: PluginContext) {
  const c = connectionOf(ctx);
  const region = c.region || (c.endpoint ? 'us-east-1' : undefined);
  return {
    region,
    endpoint: c.endpoint || undefined,
    credentials: c.accessKeyId ? { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken || undefined } : undefined,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 5000, requestTimeout: 60_000 },
  };
}

/** A DynamoDB client for a connection entry: keys from the entry, else the SDK default chain. */
export function createClient(ctx: PluginContext): DynamoDBClient {
  return new DynamoDBClient(clientConfig(ctx));
}

/**
 * Settings of a DynamoDB Streams client for the same entry: `streamsEndpoint` when set, else the
 * table `endpoint` (DynamoDB Local serves Streams there), else AWS's `streams.dynamodb` endpoint
 * of the region (an AWS table behind a custom `endpoint` needs `streamsEndpoint`).
 */
export function streamsClientConfig(ctx: PluginContext): ReturnType<typeof clientConfig> {
  const streams = connectionOf(ctx).streamsEndpoint;
  const config = clientConfig(ctx);
  return streams ? { ...config, endpoint: streams } : config;
}

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  errors?: AwsLikeError[];
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
}

// `UnprocessedItemsError`: the writer's own, when BatchWriteItem kept returning items unprocessed.
const throttling = new Set(['UnprocessedItemsError', 'ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'InternalServerError', 'ServiceUnavailable', 'LimitExceededException', 'TimeoutError']);
const networkCodes = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);
const credentialErrors = new Set(['UnrecognizedClientException', 'InvalidSignatureException', 'CredentialsProviderError', 'ExpiredTokenException', 'AccessDeniedException', 'MissingAuthenticationTokenException']);

/** Every error of the cause chain (and of AggregateErrors). */
function chain(err: unknown): AwsLikeError[] {
  const out: AwsLikeError[] = [];
  const walk = (e: unknown, depth: number) => {
    if (!e || typeof e !== 'object' || depth > 10) return;
    const a = e as AwsLikeError;
    out.push(a);
    for (const inner of a.errors ?? []) walk(inner, depth + 1);
    walk(a.cause, depth + 1);
  };
  walk(err, 0);
  return out;
}

/** The network code of a connection failure in the chain (`ECONNREFUSED`), if any. */
function networkCode(err: unknown): string | undefined {
  return chain(err).find((e) => typeof e.code === 'string' && networkCodes.has(e.code))?.code;
}

/** Throttling, a 5xx reply or a lost connection: worth a retry of the shard from its position. */
export function isDynamodbTransient(err: unknown): boolean {
  return chain(err).some((e) => (e.name !== undefined && throttling.has(e.name)) || (e.$metadata?.httpStatusCode ?? 0) >= 500 || (typeof e.code === 'string' && networkCodes.has(e.code)));
}

/** Whether the error says the table does not exist. */
export function isMissingTable(err: unknown): boolean {
  return chain(err).some((e) => e.name === 'ResourceNotFoundException');
}

/**
 * One line saying what went wrong talking to DynamoDB: a missing table, an unreachable endpoint
 * (naming host:port), rejected credentials, or the service's own message.
 */
export function describeFailure(err: unknown, ctx: PluginContext, side: 'from' | 'to', table: string): string {
  const where = `${entryPath(ctx, side)}, task ${ctx.task.id}`;
  const host = endpointHost(ctx);
  const code = networkCode(err);
  const first = chain(err)[0] ?? {};
  const oneLine = (s: string | undefined) => (s ?? String(err)).replace(/\s+/g, ' ').trim();
  if (isMissingTable(err)) return `DynamoDB table "${table}" does not exist at ${host} (${where}): create it first, or fix ${side}_table`;
  if (code) return `cannot reach DynamoDB at ${host} (${where}): ${code === 'ECONNREFUSED' ? 'connection refused (is the server running on that port?)' : code}`;
  if (chain(err).some((e) => e.name === 'TimeoutError')) return `cannot reach DynamoDB at ${host} (${where}): timed out`;
  if (chain(err).some((e) => e.name === 'CredentialsProviderError')) return `no credentials for DynamoDB at ${host} (${where}): set accessKeyId and secretAccessKey in the entry, or configure the SDK default chain (AWS_ACCESS_KEY_ID, a profile, a role)`;
  const cred = chain(err).find((e) => e.name !== undefined && credentialErrors.has(e.name));
  if (cred) return `DynamoDB at ${host} rejected the credentials of ${entryPath(ctx, side)} (task ${ctx.task.id}): ${cred.name}: ${oneLine(cred.message)}`;
  return `DynamoDB at ${host}, table "${table}" (${where}): ${first.name && first.name !== 'Error' ? `${first.name}: ` : ''}${oneLine(first.message)}`;
}

const linkedSignals = new WeakMap<AbortSignal, AbortSignal>();

/**
 * A signal that fires with `parent` and takes any number of listeners. Every SDK request listens
 * to its abort signal; a worker thread's shards share the run's signal, so requests in flight
 * listen to this one (one listener on the parent) instead of exceeding the parent's listener limit.
 */
export function requestSignal(parent: AbortSignal): AbortSignal {
  let child = linkedSignals.get(parent);
  if (!child) {
    const ac = new AbortController();
    setMaxListeners(0, ac.signal);
    if (parent.aborted) ac.abort();
    else parent.addEventListener('abort', () => ac.abort(), { once: true });
    child = ac.signal;
    linkedSignals.set(parent, child);
  }
  return child;
}
