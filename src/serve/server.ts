/** The HTTP server of `goshift serve` (node:http): routes of `api.ts`, errors as one JSON line. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'winston';
import { handleRequest, ServeContext, statusOf } from './api';
import { sendError } from './http';

/** A listening server. */
export interface ServeServer {
  /** The bound address, e.g. `http://127.0.0.1:7700`. */
  url: string;
  /** Stop accepting connections and close idle ones. Idempotent. */
  close(): Promise<void>;
}

/**
 * Start listening on `host:port` (port 0 = a free one).
 * @throws Error when the address cannot be bound (in use, not local, ...)
 */
export async function startServer(ctx: ServeContext, host: string, port: number, logger: Logger): Promise<ServeServer> {
  const server = http.createServer((req, res) => {
    void handleRequest(ctx, req, res).catch((err: unknown) => {
      const status = statusOf(err);
      const message = (err as Error)?.message ?? String(err);
      if (status >= 500) logger.error(`serve: ${req.method} ${req.url}: ${message}`);
      if (res.headersSent) res.end();
      else sendError(res, status, message, status === 401 ? { 'www-authenticate': 'Bearer realm="goshift"' } : {});
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${addr.port}`,
    close: () => (closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    })),
  };
}
