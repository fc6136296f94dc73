import { Command } from 'ioredis';
import type { Redis } from 'ioredis';

/**
 * Hot-path command encoding. ioredis builds every Buffer argument from three small pieces and
 * copies them twice; for a 1,000-key MGET/MSET that costs more than the server's work. Here a
 * command is encoded once, straight into one Buffer, and sent through ioredis' own `sendCommand`
 * (so replies, reconnects and errors still go through ioredis).
 */

/** A command argument: bytes, text or an integer. */
export type RespArg = Buffer | string | number;

const CRLF = 0x0a0d; // "\r\n" little-endian for writeUInt16LE

function digits(n: number): number {
  if (n < 10) return 1;
  if (n < 100) return 2;
  if (n < 1000) return 3;
  if (n < 10000) return 4;
  if (n < 100000) return 5;
  if (n < 1000000) return 6;
  return String(n).length;
}

function argBytes(arg: RespArg): number {
  if (typeof arg === 'number') return String(arg).length;
  if (typeof arg === 'string') return Buffer.byteLength(arg);
  return arg.length;
}

/** Write a non-negative integer as ASCII at `off`; returns the new offset. */
function writeInt(buf: Buffer, off: number, n: number, width: number): number {
  let end = off + width;
  const stop = end;
  do {
    buf[--end] = 48 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  return stop;
}

/**
 * Encode one command (name and arguments) as a RESP array of bulk strings.
 * @example encodeCommand(['MGET', Buffer.from('a'), 'b'])
 */
export function encodeCommand(args: readonly RespArg[]): Buffer {
  let size = 1 + digits(args.length) + 2;
  for (let i = 0; i < args.length; i++) {
    const len = argBytes(args[i]);
    size += 1 + digits(len) + 2 + len + 2;
  }
  const buf = Buffer.allocUnsafe(size);
  buf[0] = 0x2a; // '*'
  let off = writeInt(buf, 1, args.length, digits(args.length));
  buf.writeUInt16LE(CRLF, off);
  off += 2;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    buf[off++] = 0x24; // '$'
    if (typeof arg === 'object') {
      off = writeInt(buf, off, arg.length, digits(arg.length));
      buf.writeUInt16LE(CRLF, off);
      off += 2;
      off += arg.copy(buf, off);
    } else {
      const text = typeof arg === 'number' ? String(arg) : arg;
      const len = typeof arg === 'number' ? text.length : Buffer.byteLength(text);
      off = writeInt(buf, off, len, digits(len));
      buf.writeUInt16LE(CRLF, off);
      off += 2;
      off += buf.write(text, off, len, 'utf8');
    }
    buf.writeUInt16LE(CRLF, off);
    off += 2;
  }
  return buf;
}

/** A command whose wire form is already encoded; replies stay Buffers. */
class RawCommand extends Command {
  constructor(name: string, private readonly payload: Buffer) {
    super(name, [], {});
  }

  override toWritable(): Buffer {
    return this.payload;
  }
}

/**
 * Send one pre-encoded command on a standalone connection (or one Cluster node) and resolve to
 * its raw reply: Buffers for bulk strings, numbers for integers, arrays, `null`.
 */
export function sendRaw(client: Redis, args: readonly RespArg[]): Promise<unknown> {
  const name = String(args[0]).toLowerCase();
  return client.sendCommand(new RawCommand(name, encodeCommand(args))) as Promise<unknown>;
}
