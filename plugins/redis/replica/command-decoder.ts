/** One command of the replication stream and where it ends in the stream. */
export interface StreamCommand {
  /** Name and arguments, as sent (the name in any case). */
  args: Buffer[];
  /** Replication offset just after this command. */
  end: number;
}

/**
 * Decodes the command stream a master sends its replicas (RESP arrays of bulk strings; an inline
 * newline the master may send as a keepalive counts as bytes) and counts the replication offset of
 * every byte consumed.
 */
export class CommandDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Replication offset of the next byte not yet consumed. */
  offset: number;

  constructor(startOffset: number) {
    this.offset = startOffset;
  }

  /** Feed received bytes; returns the commands they complete, in order. */
  push(chunk: Buffer): StreamCommand[] {
    this.pending = this.pos < this.pending.length ? Buffer.concat([this.pending.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
    const out: StreamCommand[] = [];
    for (;;) {
      const cmd = this.one();
      if (!cmd) break;
      if (cmd.args.length) out.push(cmd);
    }
    return out;
  }

  /** Bytes received but not yet a whole command. */
  get waiting(): number {
    return this.pending.length - this.pos;
  }

  private one(): StreamCommand | undefined {
    const buf = this.pending;
    let at = this.pos;
    if (at >= buf.length) return undefined;
    if (buf[at] !== 0x2a /* '*' */) {
      // Inline line (a bare "\n" keepalive or an inline command): counted, no arguments kept.
      const nl = buf.indexOf(0x0a, at);
      if (nl < 0) return undefined;
      return this.consume(nl + 1, []);
    }
    const head = this.line(at);
    if (!head) return undefined;
    const n = Number(head.text.slice(1));
    at = head.next;
    const args: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const len = this.line(at);
      if (!len) return undefined;
      if (len.text[0] !== '$') throw new Error(`replication stream: expected a bulk string at offset ${this.offset + (at - this.pos)}, got ${JSON.stringify(len.text.slice(0, 20))}`);
      const size = Number(len.text.slice(1));
      if (len.next + size + 2 > buf.length) return undefined;
      args.push(Buffer.from(buf.subarray(len.next, len.next + size)));
      at = len.next + size + 2;
    }
    return this.consume(at, args);
  }

  private consume(to: number, args: Buffer[]): StreamCommand {
    this.offset += to - this.pos;
    this.pos = to;
    return { args, end: this.offset };
  }

  private line(from: number): { text: string; next: number } | undefined {
    const cr = this.pending.indexOf('\r\n', from);
    if (cr < 0) return undefined;
    return { text: this.pending.toString('latin1', from, cr), next: cr + 2 };
  }
}
