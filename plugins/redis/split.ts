/**
 * Splitting one Redis keyspace into parallel SCAN segments.
 *
 * Redis' SCAN walks the hash table's buckets in reverse-binary order: the next cursor is the
 * current one with its bits reversed, incremented, and reversed back (dict.c `dictScan`). Read the
 * cursor reversed over 64 bits and it becomes a position on a line [0, 2^64): bucket `b` of a
 * table of 2^k buckets covers the interval whose top k bits are `reverse_k(b)`, and a key whose hash
 * is h sits at point `reverse64(h)` whatever the table size, because its bucket is `h & mask`. A
 * bigger table is only a finer cut of the same line, so the position of a key never changes when
 * the table grows, shrinks or rehashes. After a SCAN call returns cursor c, every key that was
 * present the whole time and lies between the start position and `reverse64(c)` has been returned
 * (SCAN's own guarantee, read on this line; during a rehash both tables are walked over the same
 * interval).
 *
 * A segment is a half-open range [start, end) of that line. A worker starts SCAN at the cursor
 * `reverse64(start)`: Redis masks it to the bucket that contains `start` (or, in a rehash, walks
 * the small table's bucket and the big table's buckets from that point), so it begins at or before
 * `start`. It stops once the returned cursor's position reaches `end`, or the cursor wraps to 0
 * (position 2^64). Every point in [start, end) is therefore covered; segments tile [0, 2^64), so no
 * key is missed. Keys are read twice only in the bucket that straddles a boundary and in the last
 * call's overshoot past `end`, which the reader keeps small by shrinking COUNT near the end.
 *
 * Redis 7.4+ and Valkey 8+ keep one table per hash slot in Cluster mode and put the slot number in
 * the low 14 bits of the cursor; there a segment is a slot range instead (see {@link SlotSegment}).
 */

/** 2^64: the end of the reversed-cursor line, reached when SCAN returns cursor 0. */
export const LINE_END = 1n << 64n;

/** COUNT of a walk's first SCAN call, before the segment's key density is known. */
const PROBE_COUNT = 100;

/** Boundaries are rounded to multiples of 2^(64-BOUNDARY_BITS), so start cursors stay below 2^32. */
const BOUNDARY_BITS = 32n;

function rev32(x: number): number {
  x = ((x >>> 1) & 0x55555555) | ((x & 0x55555555) << 1);
  x = ((x >>> 2) & 0x33333333) | ((x & 0x33333333) << 2);
  x = ((x >>> 4) & 0x0f0f0f0f) | ((x & 0x0f0f0f0f) << 4);
  x = ((x >>> 8) & 0x00ff00ff) | ((x & 0x00ff00ff) << 8);
  x = (x >>> 16) | (x << 16);
  return x >>> 0;
}

/** Reverse the bits of a 64-bit unsigned integer. */
export function reverse64(v: bigint): bigint {
  const lo = Number(v & 0xffffffffn);
  const hi = Number((v >> 32n) & 0xffffffffn);
  return (BigInt(rev32(lo)) << 32n) | BigInt(rev32(hi));
}

/** Position of a SCAN cursor on the reversed line; cursor "0" returned by SCAN means the end. */
export function cursorPosition(cursor: string): bigint {
  return cursor === '0' ? LINE_END : reverse64(BigInt(cursor));
}

/** A cursor segment of one server: positions [start, end) of the reversed-cursor line, as decimal strings. */
export interface CursorSegment {
  kind: 'cursor';
  start: string;
  end: string;
}

/** A slot segment of one Cluster node whose cursor carries the slot in its low 14 bits (Redis 7.4+, Valkey 8+). */
export interface SlotSegment {
  kind: 'slots';
  /** First slot, inclusive. */
  from: number;
  /** Last slot, exclusive. */
  to: number;
}

/**
 * Cut the reversed-cursor line into `n` contiguous segments of equal width.
 * @example cursorSegments(2) // [{start:'0', end:'9223372036854775808'}, {start:'9223...', end:'18446744073709551616'}]
 */
export function cursorSegments(n: number): CursorSegment[] {
  const unit = 1n << (64n - BOUNDARY_BITS);
  const steps = 1n << BOUNDARY_BITS;
  const out: CursorSegment[] = [];
  let prev = 0n;
  for (let i = 1; i <= n; i++) {
    const end = i === n ? LINE_END : (steps * BigInt(i)) / BigInt(n) * unit;
    if (end > prev) out.push({ kind: 'cursor', start: prev.toString(), end: end.toString() });
    prev = end;
  }
  return out;
}

/** The SCAN cursor to start a cursor segment at. */
export function startCursor(seg: CursorSegment): string {
  return reverse64(BigInt(seg.start)).toString();
}

/**
 * Tracks one segment's progress and picks the next COUNT so the last call does not run far past
 * the segment end (keys past the end are read again by the next segment).
 */
export class SegmentWalker {
  private readonly end: bigint;
  private position: bigint;
  private visited = 0;
  private covered = 0;
  private done = false;
  cursor: string;

  constructor(seg: CursorSegment | SlotSegment, private readonly maxCount: number) {
    if (seg.kind === 'cursor') {
      this.position = BigInt(seg.start);
      this.end = BigInt(seg.end);
      this.cursor = startCursor(seg);
    } else {
      this.position = BigInt(seg.from);
      this.end = BigInt(seg.to);
      this.cursor = String(seg.from);
    }
    this.slotMode = seg.kind === 'slots';
  }

  private readonly slotMode: boolean;

  /**
   * Continue from a cursor an earlier walk of this segment reached (a saved resume position):
   * SCAN resumes there, and the segment ends as usual.
   */
  resume(cursor: string): void {
    if (cursor === '0') {
      this.done = true;
      return;
    }
    this.cursor = cursor;
    this.position = this.slotMode ? BigInt(cursor) & 16383n : reverse64(BigInt(cursor));
    if (this.position >= this.end) this.done = true;
  }

  /**
   * After the call that ran past the segment's end (not to the line's end): the cursor the next
   * segment starts at and the position that call reached. Keys between the two were returned to
   * this segment and are read again by the next one. Undefined otherwise (and for slot segments,
   * which never overlap).
   */
  crossing(): { nextStart: string; reached: bigint } | undefined {
    if (!this.done || this.slotMode || this.end >= LINE_END || this.position < this.end) return undefined;
    return { nextStart: reverse64(this.end).toString(), reached: this.position };
  }

  /** True when the segment is fully scanned. */
  get finished(): boolean {
    return this.done;
  }

  /**
   * COUNT for the next SCAN call: `maxCount`, shrunk near the end by the observed key density. The
   * first call of a walk is a probe of {@link PROBE_COUNT}: with no density known yet, a whole
   * batch's COUNT would run a small table through to cursor 0 from every segment's start.
   */
  nextCount(): number {
    if (this.slotMode) return this.maxCount;
    if (this.covered === 0) return Math.min(this.maxCount, PROBE_COUNT);
    const remaining = Number(this.end - this.position);
    const estimate = Math.ceil((this.visited / this.covered) * remaining);
    return Math.max(10, Math.min(this.maxCount, estimate));
  }

  /** Record the cursor a SCAN call with `count` returned; marks the segment finished at its end. */
  advance(next: string, count: number): void {
    if (next === '0') {
      // The line's end: past this segment's end too, unless it is the last segment.
      this.done = true;
      this.cursor = '0';
      this.position = LINE_END;
      return;
    }
    if (this.slotMode) {
      const slot = BigInt(next) & 16383n;
      if (slot >= this.end) this.done = true;
      this.cursor = next;
      return;
    }
    const pos = reverse64(BigInt(next));
    if (pos > this.position) {
      this.visited += count;
      this.covered += Number(pos - this.position);
    }
    this.position = pos;
    this.cursor = next;
    if (pos >= this.end) this.done = true;
  }
}

/** Split the slots a node serves (a list of [from, to] inclusive ranges) into at most `n` slot segments. */
export function slotSegments(ranges: [number, number][], n: number): SlotSegment[] {
  const slots: number[] = [];
  for (const [a, b] of ranges) for (let s = a; s <= b; s++) slots.push(s);
  slots.sort((x, y) => x - y);
  if (slots.length === 0) return [];
  const count = Math.max(1, Math.min(n, slots.length));
  const out: SlotSegment[] = [];
  for (let i = 0; i < count; i++) {
    const lo = Math.floor((slots.length * i) / count);
    const hi = Math.floor((slots.length * (i + 1)) / count);
    // A segment covers every slot between its first and the next segment's first: slots the node
    // does not own are empty here and SCAN skips them.
    out.push({ kind: 'slots', from: i === 0 ? 0 : slots[lo], to: i === count - 1 ? 16384 : slots[hi] });
  }
  return out;
}
