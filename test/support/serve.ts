import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { GoshiftTestEnv, repoRoot } from './goshift-env';

/** A `goshift serve` process of a test env, on a free loopback port. */
export interface ServeProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>` */
  url: string;
  stderr(): string;
  /** SIGINT, then wait for the exit code. */
  stop(): Promise<number>;
}

/**
 * Start `goshift serve -c <dir> -e test --port 0` and wait for the address it prints.
 * @param more extra flags, e.g. `--no-scheduler`
 */
export async function startServe(env: GoshiftTestEnv, more: string[] = [], extraEnv: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'goshift'), 'serve', '-c', env.configDir, '-e', 'test', '--port', '0', ...more], {
    cwd: env.configDir, env: { ...process.env, ...extraEnv },
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      stdout += String(d);
      const m = /listening on (http:\/\/\S+)/.exec(stdout);
      if (m) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`goshift serve exited with ${code} before listening: ${stderr}`)));
  });
  return {
    child, url, stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}

/** A JSON request to the server; resolves with the status and the parsed body. */
export async function call(base: string, method: string, urlPath: string, opts: { token?: string; body?: unknown; rawBody?: string } = {}): Promise<{ status: number; body: Record<string, unknown> & unknown[] & { error?: string } }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(`${base}${urlPath}`, { method, headers, body: opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)) });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = { text };
  }
  return { status: res.status, body: body as never };
}

/** Poll `fn` until it returns a value other than undefined (no time limit: jest's test timeout bounds it). */
export async function waitFor<T>(fn: () => Promise<T | undefined>, everyMs = 200): Promise<T> {
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
