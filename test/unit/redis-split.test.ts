import { cursorPosition, cursorSegments, LINE_END, reverse64, SegmentWalker, slotSegments, startCursor } from '../../plugins/redis/split';
import { encodeCommand } from '../../plugins/redis/resp';
import { keySlot, sameSlotKey } from '../../plugins/redis/slot';
import { entryValue, flattenValue } from '../../plugins/redis/records';

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
    expect(last.crossing()).toBeUndefined(); // the line's end is the last segment's own end
  });

  test('a walk starts with a probe, and a call that wraps to cursor 0 from an inner segment is a crossing', () => {
    const seg = cursorSegments(4)[1]; // [1/4, 1/2)
    const w = new SegmentWalker(seg, 5000);
    expect(w.nextCount()).toBe(100);
    // A small table: the first call runs through the rest of the line.
    w.advance('0', 100);
    expect(w.finished).toBe(true);
    expect(w.crossing()).toEqual({ nextStart: startCursor(cursorSegments(4)[2]), reached: LINE_END });
    // A walk whose batch is below the probe asks for its batch.
    expect(new SegmentWalker(seg, 50).nextCount()).toBe(50);
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

/**
 * CRC16-XMODEM of a string, modulo 16384, computed bit by bit (the plugin uses a lookup table), so
 * the slot tests compare with an independent computation. Checked by the spec's own values below.
 */
function referenceSlot(hashed: string): number {
  let crc = 0;
  for (const byte of Buffer.from(hashed)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

describe('redis helpers', () => {
  test('the reference slot function gives the spec values', () => {
    expect(referenceSlot('123456789')).toBe(0x31c3 % 16384); // CRC16-XMODEM check value 0x31C3
    expect(referenceSlot('foo')).toBe(12182);
  });


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
    // The spec's hash-tag examples, against the reference CRC16 of the part that must be hashed.
    expect(keySlot('{user1000}.following')).toBe(referenceSlot('user1000'));
    expect(keySlot('{user1000}.followers')).toBe(referenceSlot('user1000'));
    expect(keySlot('foo{}{bar}')).toBe(referenceSlot('foo{}{bar}')); // empty first tag: the whole key
    expect(keySlot('foo{}{bar}')).not.toBe(referenceSlot('bar'));
    expect(keySlot('foo{{bar}}zap')).toBe(referenceSlot('{bar'));
    expect(keySlot('foo{bar}{zap}')).toBe(referenceSlot('bar'));
    expect(keySlot('{bar')).toBe(referenceSlot('{bar')); // no closing brace: the whole key
    for (const k of ['dirty:user', 'a{b', 'x}{', '{tag}rest', '{}', '']) {
      expect(keySlot(sameSlotKey(k, ':processing'))).toBe(keySlot(k));
    }
    expect(sameSlotKey('dirty:user', ':processing').toString()).toBe('{dirty:user}:processing');
    expect(sameSlotKey('{t}x', ':p').toString()).toBe('{t}x:p');
  });

  test('typed replies become entry values and flatten back into write-script arguments', () => {
    const b = (s: string) => Buffer.from(s);
    expect(entryValue('hash', [b('a'), b('1')])).toEqual([[b('a'), b('1')]]);
    expect(entryValue('zset', [b('m'), b('2')])).toEqual([[b('m'), '2']]);
    expect(entryValue('stream', [[b('1-1'), [b('f'), b('v')]]])).toEqual([['1-1', [[b('f'), b('v')]]]]);
    expect(flattenValue('hash', [[b('a'), b('1')]])).toEqual([b('a'), b('1')]);
    expect(flattenValue('zset', [[b('m'), '1.5']])).toEqual([b('m'), '1.5']);
    expect(flattenValue('stream', [['1-1', [[b('f'), b('v')]]]])).toEqual(['1-1', '1', b('f'), b('v')]);
    expect(flattenValue('list', [b('x'), b('y')])).toEqual([b('x'), b('y')]);
  });
});
