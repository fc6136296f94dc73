import { connect, Socket } from 'node:net';
import { ReadError, ReplicaLinkError, SyncRefusedError } from '../../../src/sdk';
import { CommandDecoder, StreamCommand } from './command-decoder';
import { Spool } from './spool';

/** Where and how to connect as a replica. */
export interface LinkOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** Resume point: the master's replication id and the offset of the last byte already applied. */
  resume?: { replid: string; offset: number };
  /** Label for messages, e.g. `127.0.0.1:6379`. */
  where: string;
  signal?: AbortSignal;
}

/** How the master answered PSYNC. */
export interface SyncStart {
  /** true: a snapshot (RDB payload) comes first; false: the stream continues at `offset`. */
  full: boolean;
  replid: string;
  /** Replication offset of the first stream byte after the payload (full) or of the next byte (continue). */
  offset: number;
}

const EOF_MARK = 40;

/**
 * A replication link to one Redis master: AUTH, REPLCONF listening-port and capa eof psync2,
 * PSYNC (resuming from a saved replid + offset, or `? -1`), the RDB payload (disk-based
 * `$<len>` or diskless `$EOF:<mark>`) and then the command stream, with REPLCONF ACK every second.
 * Every received byte goes straight to a {@link Spool}, so the master never waits on goshift.
 */
export class ReplicaLink {
  private socket?: Socket;
  private spool = new Spool();
  private leftover: Buffer = Buffer.alloc(0);
  private decoder?: CommandDecoder;
  private ackTimer?: NodeJS.Timeout;
  private closed = false;
  /** The PSYNC answer, set by {@link start}. */
  started?: SyncStart;

  constructor(private readonly opts: LinkOptions) {}

  /** Connect, handshake, PSYNC. Throws SyncRefusedError when the server will not serve a replica. */
  async start(): Promise<SyncStart> {
    const socket = connect({ host: this.opts.host, port: this.opts.port });
    this.socket = socket;
    socket.setNoDelay(true);
    const lines = new LineReader(socket, this.opts.where);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      if (this.opts.password) {
        const auth = this.opts.username ? ['AUTH', this.opts.username, this.opts.password] : ['AUTH', this.opts.password];
        const r = await lines.call(socket, auth);
        if (r.startsWith('-')) throw new ReadError(`redis source ${this.opts.where}: AUTH refused for the replication link (${r.slice(1).split(' ')[0]}); check the connection's user and password`);
      }
      // Older servers and proxies may not know these; PSYNC decides.
      await lines.call(socket, ['REPLCONF', 'listening-port', '0']);
      await lines.call(socket, ['REPLCONF', 'capa', 'eof', 'capa', 'psync2']);
      const resume = this.opts.resume;
      const reply = await lines.call(socket, resume ? ['PSYNC', resume.replid, String(resume.offset + 1)] : ['PSYNC', '?', '-1']);
      this.started = this.answer(reply, resume);
      if (this.started.full) await this.payloadHeader(lines);
    } catch (err) {
      socket.destroy();
      if (err instanceof ReadError) throw err;
      throw new ReplicaLinkError(`redis source ${this.opts.where}: replication link failed: ${(err as Error).message}`, { cause: err });
    }
    // From here every byte goes to the spool at once.
    const rest = lines.detach();
    if (rest.length) this.spool.push(rest);
    socket.on('data', (c: Buffer) => this.spool.push(c));
    socket.on('error', (err) => this.spool.end(new ReplicaLinkError(`redis source ${this.opts.where}: replication link failed: ${err.message}`, { cause: err })));
    socket.on('close', () => {
      if (!this.closed) this.spool.end(new ReplicaLinkError(this.lostMessage()));
    });
    return this.started;
  }

  private payloadHead = '';

  private answer(reply: string, resume?: { replid: string; offset: number }): SyncStart {
    let m = /^\+FULLRESYNC (\S+) (\d+)/.exec(reply);
    if (m) return { full: true, replid: m[1], offset: Number(m[2]) };
    m = /^\+CONTINUE(?: (\S+))?/.exec(reply);
    if (m && resume) return { full: false, replid: m[1] ?? resume.replid, offset: resume.offset };
    const why = reply.startsWith('-') ? reply.slice(1) : `unexpected answer ${JSON.stringify(reply.slice(0, 60))}`;
    throw new SyncRefusedError(`redis source ${this.opts.where} refused PSYNC (${why}): it does not serve replicas (command renamed or disabled, or a managed service)`);
  }

  private async payloadHeader(lines: LineReader): Promise<void> {
    // The master sends bare newlines while it prepares the snapshot.
    let head = '';
    while (!head) head = await lines.line();
    if (!head.startsWith('$')) throw new ReplicaLinkError(`redis source ${this.opts.where}: expected the snapshot after +FULLRESYNC, got ${JSON.stringify(head.slice(0, 60))}`);
    this.payloadHead = head;
  }

  /**
   * The RDB payload, as it arrives (only after a full resync). Must be read to its end before
   * {@link commands}.
   */
  async *payload(): AsyncGenerator<Buffer> {
    const head = this.payloadHead;
    if (head.startsWith('$EOF:')) {
      const mark = Buffer.from(head.slice(5), 'latin1');
      if (mark.length !== EOF_MARK) throw new ReplicaLinkError(`redis source ${this.opts.where}: bad diskless snapshot header`);
      let tail = Buffer.alloc(0);
      for (;;) {
        const c = await this.spool.next();
        if (!c) throw new ReplicaLinkError(this.lostMessage());
        const joined = tail.length ? Buffer.concat([tail, c]) : c;
        const at = joined.indexOf(mark);
        if (at >= 0) {
          if (at > 0) yield joined.subarray(0, at);
          this.leftover = joined.subarray(at + EOF_MARK);
          return;
        }
        const keep = Math.min(EOF_MARK - 1, joined.length);
        if (joined.length > keep) yield joined.subarray(0, joined.length - keep);
        tail = Buffer.from(joined.subarray(joined.length - keep));
      }
    }
    let left = Number(head.slice(1));
    while (left > 0) {
      const c = await this.spool.next();
      if (!c) throw new ReplicaLinkError(this.lostMessage());
      if (c.length <= left) {
        left -= c.length;
        yield c;
      } else {
        yield c.subarray(0, left);
        this.leftover = c.subarray(left);
        left = 0;
      }
    }
  }

  /**
   * The command stream after the payload (or after +CONTINUE), each command with the replication
   * offset just after it. Answers REPLCONF GETACK and sends REPLCONF ACK every second.
   */
  async *commands(): AsyncGenerator<StreamCommand> {
    const start = this.started as SyncStart;
    const decoder = new CommandDecoder(start.offset);
    this.decoder = decoder;
    this.ackTimer = setInterval(() => this.ack(), 1000);
    this.ackTimer.unref();
    let chunk: Buffer | undefined = this.leftover;
    this.leftover = Buffer.alloc(0);
    while (chunk) {
      for (const cmd of decoder.push(chunk)) {
        const name = cmd.args[0].toString('latin1').toLowerCase();
        if (name === 'replconf' && cmd.args[1]?.toString('latin1').toLowerCase() === 'getack') this.ack();
        yield cmd;
      }
      chunk = await this.spool.next();
    }
  }

  /** Tell the master how far the stream was received. */
  private ack(): void {
    if (!this.decoder || this.closed || !this.socket?.writable) return;
    this.socket.write(resp(['REPLCONF', 'ACK', String(this.decoder.offset)]));
  }

  private lostMessage(): string {
    return `redis source ${this.opts.where} closed the replication link; if its log says "client-output-buffer-limit replica", raise that config (hard and soft limit) on the source, or make the target faster`;
  }

  /** Close the link and remove the spool. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.ackTimer) clearInterval(this.ackTimer);
    this.socket?.destroy();
    this.spool.end();
    await this.spool.close();
  }
}

/** A RESP array of bulk strings. */
function resp(args: string[]): Buffer {
  return Buffer.from(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
}

/** Line-at-a-time reading of the handshake replies, before the spool takes over. */
class LineReader {
  private buf: Buffer = Buffer.alloc(0);
  private waiter?: () => void;
  private failure?: Error;
  private readonly onData = (c: Buffer): void => {
    this.buf = this.buf.length ? Buffer.concat([this.buf, c]) : c;
    this.wake();
  };
  private readonly onEnd = (err?: Error): void => {
    this.failure ??= err ?? new Error(`${this.where} closed the connection during the replication handshake`);
    this.wake();
  };

  constructor(private readonly socket: Socket, private readonly where: string) {
    socket.on('data', this.onData);
    socket.on('error', this.onEnd);
    socket.on('close', () => this.onEnd());
  }

  async call(socket: Socket, args: string[]): Promise<string> {
    socket.write(resp(args));
    let r = '';
    while (!r) r = await this.line();
    return r;
  }

  /** One line without CRLF (a bare "\n" keepalive gives ""). */
  async line(): Promise<string> {
    for (;;) {
      const nl = this.buf.indexOf(0x0a);
      if (nl >= 0) {
        const text = this.buf.toString('latin1', 0, nl).replace(/\r$/, '');
        this.buf = this.buf.subarray(nl + 1);
        return text;
      }
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => { this.waiter = resolve; });
    }
  }

  /** Stop listening; returns the bytes received past the last line read. */
  detach(): Buffer {
    this.socket.off('data', this.onData);
    this.socket.removeAllListeners('error');
    this.socket.removeAllListeners('close');
    return this.buf;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
