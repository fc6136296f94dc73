/** Small HTTP helpers of `goshift serve`: JSON bodies and answers, errors with a status. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonSyntaxError } from '../config/json-error';

/** An error answered with its HTTP status and one line of text (`{"error": "..."}`). */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Largest request body read, in bytes. */
const maxBodyBytes = 1024 * 1024;

/**
 * Read a request body as JSON. An empty body is `{}`.
 * @throws HttpError 400 for malformed JSON (line and column), 413 for a body over 1 MiB
 */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBodyBytes) throw new HttpError(413, `request body is larger than ${maxBodyBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    const at = jsonSyntaxError(text);
    throw new HttpError(400, `request body is not valid JSON${at ? ` at line ${at.line} column ${at.column}: ${at.reason}` : ''}`);
  }
}

/** Answer with a JSON value. */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value, null, 2);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

/** Answer with `{"error": message}`. */
export function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify({ error: message }));
}

/** Answer with text of a given type. */
export function sendText(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}
