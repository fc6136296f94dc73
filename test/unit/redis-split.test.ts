import { cursorPosition, cursorSegments, LINE_END, reverse64, SegmentWalker, slotSegments, startCursor } from '../../plugins/redis/split';
import { encodeCommand } from '../../plugins/redis/resp';
import { keySlot, sameSlotKey } from '../../plugins/redis/slot';
import { KeyTemplate, RedisToRow, RowToRedis } from '../../plugins/redis/mapping';
import { flattenValue, toGenericValue } from '../../plugins/redis/records';
import type { RedisParams } from '../../plugins/redis/config';

const M64 = (1n << 64n) - 1n;

/** Deterministic 64-bit PRNG (splitmix64) so failures reproduce. */
function rng(seed: bigint): () => bigint {
  let s = seed;
  return () => {
    s = (s + 0x9e3779b97f4a7c15n) & M64;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
    return z ^ (z >> 31n);
  };
}

const rev = (v: bigint) => reverse64(v & M64);

/**
 * A model of Redis' dict (dict.c, 7.0): keys with fixed 64-bit hashes, a table of 2^exp buckets,
 * optionally mid-rehash into a second table (buckets below `rehashIdx` already moved).
 */
class DictModel {
  exp: number;
  next: number | null = null;
  rehashIdx = 0;
  constructor(readonly hashes: bigint[], exp: number) {
    this.exp = exp;
  }

  private inTable(h: bigint): 0 | 1 {
    if (this.next === null) return 0;
    const b0 = Number(h & ((1n << BigInt(this.exp)) - 1n));
    return b0 < this.rehashIdx ? 1 : 0;
  }

  bucket(table: 0 | 1, idx: bigint): number[] {
    const exp = table === 0 ? this.exp : (this.next as number);
    const mask = (1n << BigInt(exp)) - 1n;
    const out: number[] = [];
    this.hashes.forEach((h, i) => {
      if (this.inTable(h) === table && (h & mask) === idx) out.push(i);
    });
    return out;
  }

  /** dictScan: emit one bucket (or one small bucket and its expansions), return the next cursor. */
  scanStep(v: bigint, emit: (keys: number[]) => void): bigint {
    if (this.next === null) {
      const m0 = (1n << BigInt(this.exp)) - 1n;
      emit(this.bucket(0, v & m0));
      v |= ~m0 & M64;
      v = rev(v);
      v = (v + 1n) & M64;
      return rev(v);
    }
    let [t0, t1] = [0, 1] as [0 | 1, 0 | 1];
    let [e0, e1] = [this.exp, this.next];
    if (e0 > e1) {
      [t0, t1] = [1, 0];
      [e0, e1] = [e1, e0];
    }
    const m0 = (1n << BigInt(e0)) - 1n;
    const m1 = (1n << BigInt(e1)) - 1n;
    emit(this.bucket(t0, v & m0));
    do {
      emit(this.bucket(t1, v & m1));
      v |= ~m1 & M64;
      v = rev(v);
      v = (v + 1n) & M64;
      v = rev(v);
    } while (v & (m0 ^ m1));
    return v;
  }

  /** SCAN cursor COUNT n: steps until n keys were gathered, the cursor wrapped, or 10*n steps. */
  scan(cursor: bigint, count: number): [bigint, number[]] {
    const keys: number[] = [];
    let it = count * 10;
    do {
      cursor = this.scanStep(cursor, (k) => keys.push(...k));
    } while (cursor !== 0n && it-- > 0 && keys.length < count);
    return [cursor, keys];
  }

  /** Randomly grow, shrink, start or advance a rehash. */
  mutate(r: () => bigint): void {
    const pick = Number(r() % 4n);
    if (this.next !== null) {
      this.rehashIdx += 1 + Number(r() % 7n);
      if (this.rehashIdx >= 2 ** this.exp) {
        this.exp = this.next;
        this.next = null;
        this.rehashIdx = 0;
      }
    } else if (pick === 0 && this.exp < 12) {
      this.next = this.exp + 1 + Number(r() % 2n);
    } else if (pick === 1 && this.exp > 2) {
      this.next = this.exp - 1 - Number(r() % 2n > 0n && this.exp > 3 ? 1n : 0n);
    } else if (pick === 2) {
      this.exp = Math.max(2, Math.min(12, this.exp + (r() % 2n === 0n ? 1 : -1)));
    }
  }
}

describe('redis scan-cursor split', () => {
  test('reverse64 reverses bits and round-trips', () => {
    expect(reverse64(1n)).toBe(1n << 63n);
    expect(reverse64(0b1011n)).toBe(0b1101n << 60n);
    const r = rng(7n);
    for (let i = 0; i < 100; i++) {
      const v = r();
      expect(reverse64(reverse64(v))).toBe(v);
    }
  });

  test('segments tile the reversed-cursor line exactly', () => {
    for (const n of [1, 2, 3, 4, 7, 16, 100]) {
      const segs = cursorSegments(n);
      expect(segs).toHaveLength(n);
      expect(segs[0].start).toBe('0');
      expect(segs[n - 1].end).toBe(LINE_END.toString());
      for (let i = 1; i < n; i++) expect(segs[i].start).toBe(segs[i - 1].end);
      for (const s of segs) expect(BigInt(startCursor(s))).toBeLessThan(1n << 32n);
    }
    expect(cursorPosition('0')).toBe(LINE_END);
    expect(startCursor(cursorSegments(2)[1])).toBe('1');
  });

  test('the walker stops at its segment end and at cursor 0', () => {
    const seg = cursorSegments(4)[1]; // [1/4, 1/2)
    const w = new SegmentWalker(seg, 100);
    expect(w.cursor).toBe('2'); // reverse of 0b01 at the top: bucket 2 of a 4-bucket table... cursor 2
    w.advance('6', 100); // position 3/8: still inside
    expect(w.finished).toBe(false);
    w.advance('1', 100); // position 1/2: the end
    expect(w.finished).toBe(true);
    const last = new SegmentWalker(cursorSegments(4)[3], 100);
    last.advance('0', 100);
    expect(last.finished).toBe(true);
  });

  test('no key is missed while the table grows, shrinks and rehashes (model of dict.c)', () => {
    for (let trial = 0; trial < 60; trial++) {
      const r = rng(BigInt(trial + 1));
      const hashes = Array.from({ length: 300 }, () => r());
      const n = [1, 2, 3, 4, 5, 8, 16][trial % 7];
      const dict = new DictModel(hashes, 2 + (trial % 8));
      const seen = new Array<number>(hashes.length).fill(0);
      for (const seg of cursorSegments(n)) {
        const w = new SegmentWalker(seg, 1 + (trial % 9) * 5);
        let guard = 0;
        while (!w.finished) {
          const count = w.nextCount();
          const [next, keys] = dict.scan(BigInt(w.cursor), count);
          for (const k of keys) seen[k]++;
          w.advance(next.toString(), count);
          dict.mutate(r);
          if (++guard > 100000) throw new Error('walker does not terminate');
        }
      }
      const missed = seen.filter((c) => c === 0).length;
      expect({ trial, missed }).toEqual({ trial, missed: 0 });
    }
  });

  test('slot segments cover every slot once', () => {
    const segs = slotSegments([[0, 5460], [10923, 12000]], 4);
    expect(segs[0].from).toBe(0);
    expect(segs[segs.length - 1].to).toBe(16384);
    for (let i = 1; i < segs.length; i++) expect(segs[i].from).toBe(segs[i - 1].to);
    expect(slotSegments([[5, 5]], 16)).toEqual([{ kind: 'slots', from: 0, to: 16384 }]);
  });
});

describe('redis helpers', () => {
  test('RESP encoding matches the protocol', () => {
    expect(encodeCommand(['SET', Buffer.from('k'), 'vé', 12]).toString()).toBe('*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nvé\r\n$2\r\n12\r\n');
    expect(encodeCommand(['GET', Buffer.alloc(0)]).toString()).toBe('*2\r\n$3\r\nGET\r\n$0\r\n\r\n');
    const big = Buffer.alloc(123456, 1);
    const enc = encodeCommand(['SET', 'k', big]);
    expect(enc.subarray(0, 29).toString()).toBe('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$123456\r\n');
    expect(enc.length).toBe(29 + 123456 + 2);
  });

  test('cluster slots follow the Redis spec, hash tags included', () => {
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('123456789')).toBe(12739);
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('foo{}{bar}')).toBe(keySlot('foo{}{bar}'));
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
    for (const k of ['dirty:user', 'a{b', 'x}{', '{tag}rest', '{}', '']) {
      expect(keySlot(sameSlotKey(k, ':processing'))).toBe(keySlot(k));
    }
    expect(sameSlotKey('dirty:user', ':processing').toString()).toBe('{dirty:user}:processing');
    expect(sameSlotKey('{t}x', ':p').toString()).toBe('{t}x:p');
  });

  test('key templates build and parse keys', () => {
    const t = new KeyTemplate('order:{shop}:{id}');
    expect(t.build({ shop: 7, id: '42', other: 1 })).toBe('order:7:42');
    expect(t.parse('order:7:42')).toEqual({ shop: '7', id: '42' });
    expect(t.parse('user:1')).toBeNull();
    expect(t.matchPattern()).toBe('order:*:*');
    expect(() => t.build({ shop: 1, id: null })).toThrow(/column "id" is NULL/);
    expect(new KeyTemplate('a*{id}').matchPattern()).toBe('a\\**');
  });

  const params = (over: Partial<RedisParams> = {}): RedisParams => ({
    mode: 'scan', dirty_set: '', dirty_processing_set: '', key_prefixes: [], exclude_prefixes: [], types: [], copy_method: 'auto',
    collection_page: 5000, key_template: 'user:{id}', value_format: 'auto', key_column: '', value_column: 'value', ttl_column: '', ttl_seconds: 0, ...over,
  });

  test('rows map to hashes, JSON or strings and back', () => {
    const row = { id: '1', name: 'ü', n: 5, gone: null, bin: Buffer.from([0xff, 0]) };
    const h = new RowToRedis(params({ ttl_seconds: 2 }), '').convert(row);
    expect(h).toEqual({ key: 'user:1', type: 'hash', args: ['id', '1', 'name', 'ü', 'n', '5', 'bin', Buffer.from([0xff, 0])], ttlMs: 2000 });
    const j = new RowToRedis(params({ value_format: 'json' }), '').convert(row);
    expect(JSON.parse(String(j.args[0]))).toMatchObject({ id: '1', name: 'ü', n: 5, gone: null });
    expect(() => new RowToRedis(params({ value_format: 'string' }), '').convert(row)).toThrow(/value_column "value"/);

    const back = new RedisToRow(params({ ttl_column: 'ttl' }));
    const flat = ['name', 'ü', 'bin', Buffer.from([0xff, 0])].map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(v)));
    expect(back.convert('user:1', 'hash', flat, 5000, [])).toEqual({ id: '1', name: 'ü', bin: Buffer.from([0xff, 0]), ttl: 5000 });
    expect(back.convert('nope:1', 'hash', flat, -1, [])).toBeNull();
    const kv = new RedisToRow(params({ key_template: '' }));
    expect(kv.convert('k', 'string', Buffer.from('v'), -1, [])).toEqual({ key: 'k', value: 'v' });
    const js = new RedisToRow(params({ value_format: 'json' }));
    expect(js.convert('user:2', 'string', Buffer.from('{"a":1,"b":{"c":2}}'), -1, [])).toEqual({ id: '2', a: 1, b: '{"c":2}' });
  });

  test('typed values flatten from both the Redis and the text form', () => {
    expect(flattenValue('hash', { a: '1' })).toEqual(['a', '1']);
    expect(flattenValue('zset', [['m', '1.5']])).toEqual(['m', '1.5']);
    expect(flattenValue('stream', [{ id: '1-1', fields: { f: 'v' } }])).toEqual(['1-1', '1', 'f', 'v']);
    const b = (s: string) => Buffer.from(s);
    expect(toGenericValue('zset', [b('m'), b('2')])).toEqual({ m: '2' });
    expect(toGenericValue('stream', [[b('1-1'), [b('f'), b('v')]]])).toEqual([{ id: '1-1', fields: { f: 'v' } }]);
  });
});
