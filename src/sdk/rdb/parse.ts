/**
 * Parse an RDB stream chunk by chunk. Each top-level unit (an opcode, or one key with its value)
 * is parsed synchronously from the bytes buffered so far; when it does not fit, more input is
 * buffered (at least twice what the unit had, so big values cost linear time) and the unit is
 * parsed again. Memory is bounded by about twice the largest single value, never the file.
 */
import { RdbError } from '../errors';
import type { KvEntry } from '../records';
import { crc64Bytes, crc64Update, type Crc64State } from './crc64';
import { Cursor, NEED_MORE, needBytes, RdbFormatError } from './cursor';
import { moduleName, readModuleId, readValue, skipModuleBody } from './values';
import { entryTypeOf, OP, RDB_MAX_VERSION, T, type ParseRdbOptions, type RdbItem } from './types';

/** The key of a message: printable, cut at 80 characters. */
export function keyText(key: Buffer): string {
  return JSON.stringify(key.toString('utf8').slice(0, 80));
}

/** What the units parsed so far left for the next ones. */
interface ParseState {
  version: number;
  db: number;
  /** Expiry given by an EXPIRETIME(_MS) opcode for the next key. */
  expireAt: number | null;
  decode: boolean;
  /** Parsed the header yet. */
  started: boolean;
  /** Reached EOF (and its checksum). */
  ended: boolean;
  crc: Crc64State;
}

/** The DUMP payload of one value: type byte, value bytes, RDB version u16 LE, CRC-64 Jones LE. */
function dumpPayload(type: number, buf: Buffer, start: number, end: number, version: number): Buffer {
  const len = end - start;
  const out = Buffer.allocUnsafe(1 + len + 10);
  out[0] = type;
  buf.copy(out, 1, start, end);
  out.writeUInt16LE(version, 1 + len);
  const crc = { hi: 0, lo: 0 };
  crc64Update(crc, out, 0, 3 + len);
  crc64Bytes(crc).copy(out, 3 + len);
  return out;
}

function header(c: Cursor, st: ParseState): void {
  const magic = c.bytes(9).toString('latin1');
  if (!magic.startsWith('REDIS')) {
    if (magic.startsWith('VALKEY')) throw new RdbError('this RDB file has the Valkey 9 format (magic "VALKEY"), which goshift cannot read yet; save it with Valkey 8 or Redis', { offset: 0 });
    throw new RdbError(`not an RDB file: it starts with ${JSON.stringify(magic.slice(0, 5))} instead of "REDIS"`, { offset: 0 });
  }
  const version = Number(magic.slice(5));
  if (!Number.isInteger(version) || version < 1) throw new RdbError(`not an RDB file: bad version "${magic.slice(5)}"`, { offset: 5 });
  if (version > RDB_MAX_VERSION) throw new RdbError(`RDB version ${version} is newer than goshift knows (up to ${RDB_MAX_VERSION}, Redis 7.4)`, { offset: 5 });
  st.version = version;
  st.started = true;
}

/** One key and its value (`type` already read). */
function keyValue(c: Cursor, st: ParseState, type: number, at: number): RdbItem {
  const key = c.string();
  const valueStart = c.pos;
  if (type === T.MODULE_2) {
    const id = readModuleId(c);
    skipModuleBody(c);
    const dump = dumpPayload(type, c.buf, valueStart, c.pos, st.version);
    const expireAt = st.expireAt;
    st.expireAt = null;
    return { kind: 'module', db: st.db, key, moduleId: moduleName(id), dump, expireAt };
  }
  if (type === T.MODULE_PRE_GA) throw new RdbError(`RDB key ${keyText(key)} at byte ${at} is a module value of Redis 4.0 release candidates (type 6), which cannot be read without its module`, { offset: at });
  const entryType = entryTypeOf(type);
  if (!entryType) throw new RdbError(`RDB unknown value type ${type} at byte ${at} (key ${keyText(key)})`, { offset: at });
  const { value, fieldTtls } = readValue(c, type, st.decode);
  if (fieldTtls && st.decode) {
    throw new RdbError(`RDB key ${keyText(key)} is a hash whose fields have their own TTLs (Redis 7.4 HEXPIRE), which only a Redis target can take (as a DUMP payload)`, { offset: at });
  }
  const dump = dumpPayload(type, c.buf, valueStart, c.pos, st.version);
  const entry: KvEntry = { key, type: entryType, value, expireAt: st.expireAt };
  st.expireAt = null;
  return { kind: 'entry', db: st.db, entry, dump, rdbType: type };
}

/** Parse one unit at `c`; returns its item, or undefined for an opcode that only changes state. */
function unit(c: Cursor, st: ParseState, at: number): RdbItem | undefined {
  if (!st.started) {
    header(c, st);
    return undefined;
  }
  const type = c.u8();
  switch (type) {
    case OP.EOF: {
      crc64Update(st.crc, c.buf, c.pos - 1, c.pos); // the checksum covers the EOF byte
      if (st.version >= 5) {
        const stored = c.bytes(8);
        const own = crc64Bytes(st.crc);
        if (!stored.equals(Buffer.alloc(8)) && !stored.equals(own)) {
          throw new RdbError(`RDB checksum mismatch at byte ${at + 1}: the file says ${Buffer.from(stored).reverse().toString('hex')}, its content gives ${own.reverse().toString('hex')}`, { offset: at + 1 });
        }
      }
      st.ended = true;
      return { kind: 'end', version: st.version };
    }
    case OP.SELECTDB:
      st.db = c.len();
      return undefined;
    case OP.RESIZEDB:
      c.len();
      c.len();
      return undefined;
    case OP.SLOT_INFO:
      c.len();
      c.len();
      c.len();
      return undefined;
    case OP.EXPIRETIME_MS:
      st.expireAt = c.i64le();
      return undefined;
    case OP.EXPIRETIME:
      st.expireAt = c.u32le() * 1000;
      return undefined;
    case OP.IDLE:
      c.len();
      return undefined;
    case OP.FREQ:
      c.u8();
      return undefined;
    case OP.AUX: {
      const name = c.string().toString('utf8');
      return { kind: 'aux', name, value: c.string() };
    }
    case OP.MODULE_AUX: {
      readModuleId(c);
      c.len(); // when opcode
      c.len(); // when
      skipModuleBody(c);
      return undefined;
    }
    case OP.FUNCTION2:
      return { kind: 'function', payload: c.string() };
    case OP.FUNCTION_PRE_GA:
      throw new RdbError(`RDB at byte ${at} holds functions in the format of Redis 7.0 release candidates (opcode 246), which goshift cannot read`, { offset: at });
    default:
      return keyValue(c, st, type, at);
  }
}

/**
 * Parse an RDB stream (a file, an S3 object, a replication snapshot) chunk by chunk, yielding one
 * {@link RdbItem} at a time: header aux fields, functions, entries and module keys, then `end`
 * once the checksum has been verified (a stored checksum of 0 means the writer disabled it).
 * Memory stays bounded by the largest single value. At `end` the source iterator is left open
 * (not returned): the bytes it gave after the RDB are in the `end` item's `rest`.
 *
 * @throws RdbError one line naming the version, checksum, byte offset or type that is wrong
 * @example for await (const item of parseRdb(createReadStream('dump.rdb'))) if (item.kind === 'entry') ...
 */
export async function* parseRdb(chunks: AsyncIterable<Buffer>, opts: ParseRdbOptions = {}): AsyncGenerator<RdbItem> {
  const source = chunks[Symbol.asyncIterator]();
  const st: ParseState = { version: 0, db: 0, expireAt: null, decode: opts.decodeValues ?? true, started: false, ended: false, crc: { hi: 0, lo: 0 } };
  let buf: Buffer = Buffer.alloc(0);
  let base = 0; // offset in the stream of buf[0]
  let inputDone = false;
  let c = new Cursor(buf, 0);
  let finished = false;
  try {
    for (;;) {
      opts.signal?.throwIfAborted();
      const start = c.pos;
      let item: RdbItem | undefined;
      try {
        item = unit(c, st, base + start);
      } catch (err) {
        if (err !== NEED_MORE) {
          if (err instanceof RdbFormatError) throw new RdbError(`RDB corrupt at byte ${base + start}: ${err.message}`, { cause: err, offset: base + start });
          throw err;
        }
        if (inputDone) throw new RdbError(`RDB file truncated at byte ${base + buf.length}`, { offset: base + buf.length });
        const have = buf.length - start;
        const want = Math.max(needBytes - start, have * 2, have + 1);
        const parts: Buffer[] = [buf.subarray(start)];
        let got = have;
        while (got < want) {
          const next = await source.next();
          if (next.done) {
            inputDone = true;
            break;
          }
          const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
          parts.push(chunk);
          got += chunk.length;
        }
        base += start;
        buf = parts.length === 1 ? parts[0] : Buffer.concat(parts, got);
        c = new Cursor(buf, 0);
        continue;
      }
      if (st.ended) {
        finished = true;
        yield { kind: 'end', version: st.version, rest: Buffer.from(buf.subarray(c.pos)) };
        return;
      }
      crc64Update(st.crc, buf, start, c.pos);
      if (item) yield item;
    }
  } finally {
    if (!finished) await source.return?.();
  }
}
