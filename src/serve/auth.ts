/** Bearer-token check of `goshift serve`: every request that changes state needs `serve.token`. */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http';

/**
 * Refuse a state-changing request unless it carries `Authorization: Bearer <serve.token>`.
 * @throws HttpError 403 when no token is configured (saying how to set one), 401 when the header
 *   is missing or holds another token
 */
export function requireToken(req: IncomingMessage, token: string, configFile: string): void {
  if (!token) {
    throw new HttpError(403, `this server accepts no changes: no serve.token is configured; set "serve": {"token": "\${GOSHIFT_SERVE_TOKEN:-}"} in ${configFile}, export GOSHIFT_SERVE_TOKEN and restart goshift serve`);
  }
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (!m) throw new HttpError(401, 'this request changes state: send the token of serve.token as "Authorization: Bearer <token>"');
  if (!sameSecret(m[1], token)) throw new HttpError(401, 'the bearer token does not match serve.token');
}

/** Compare two secrets in constant time (hashes first, so their lengths do not leak). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
