/**
 * The binary form of a closed lag-history segment: columnar, one block per
 * partition, each value an unsigned LEB128 varint of the zigzagged delta from
 * the partition's previous value. Offsets move by small steps, so most deltas
 * take one or two bytes before gzip.
 *
 * Layout: "LH2\n", sample count N, key count K, K keys (length + UTF-8),
 * N timestamps (first absolute, then deltas), N status bytes (0xff: none),
 * then K columns of N values. A value is offset + 2, 1 for "no committed
 * offset" and 0 for "partition absent from this sample".
 */

const MAGIC = Buffer.from('LH2\n');

export interface ColumnarSegment {
  keys: string[];
  times: number[];
  /** Per sample; -1 where the segment keeps no status (end offsets). */
  statuses: number[];
  /** columns[k][i]: the value of key k in sample i, null: no committed offset, undefined: absent. */
  columns: (number | null | undefined)[][];
}

class Writer {
  private buffer = Buffer.allocUnsafe(1 << 16);
  private length = 0;

  private ensure(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + n));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }

  /** Unsigned varint of a non-negative safe integer (arithmetic, not bitwise: offsets pass 2^31). */
  varint(value: number): void {
    this.ensure(8);
    let v = value;
    while (v >= 0x80) {
      this.buffer[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buffer[this.length++] = v;
  }

  signed(value: number): void {
    this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  byte(value: number): void {
    this.ensure(1);
    this.buffer[this.length++] = value;
  }

  bytes(data: Buffer): void {
    this.ensure(data.length);
    data.copy(this.buffer, this.length);
    this.length += data.length;
  }

  done(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

class Reader {
  offset = 0;
  constructor(private readonly buffer: Buffer) {}

  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = this.buffer[this.offset++];
      if (b === undefined) throw new Error('truncated lag-history segment');
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 0x80;
    }
  }

  signed(): number {
    const v = this.varint();
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }

  byte(): number {
    const b = this.buffer[this.offset++];
    if (b === undefined) throw new Error('truncated lag-history segment');
    return b;
  }

  bytes(n: number): Buffer {
    const out = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

export function encodeColumnar(segment: ColumnarSegment): Buffer {
  const w = new Writer();
  w.bytes(MAGIC);
  w.varint(segment.times.length);
  w.varint(segment.keys.length);
  for (const key of segment.keys) {
    const bytes = Buffer.from(key, 'utf8');
    w.varint(bytes.length);
    w.bytes(bytes);
  }
  let previous = 0;
  for (const t of segment.times) {
    w.signed(t - previous);
    previous = t;
  }
  for (const s of segment.statuses) w.byte(s < 0 ? 0xff : s);
  for (const column of segment.columns) {
    let last = 0;
    for (const value of column) {
      const stored = value === undefined ? 0 : value === null ? 1 : value + 2;
      w.signed(stored - last);
      last = stored;
    }
  }
  return w.done();
}

export function isColumnar(data: Buffer): boolean {
  return data.subarray(0, MAGIC.length).equals(MAGIC);
}

export function decodeColumnar(data: Buffer): ColumnarSegment {
  const r = new Reader(data);
  r.bytes(MAGIC.length);
  const n = r.varint();
  const k = r.varint();
  const keys: string[] = [];
  for (let i = 0; i < k; i += 1) keys.push(r.bytes(r.varint()).toString('utf8'));
  const times: number[] = [];
  let previous = 0;
  for (let i = 0; i < n; i += 1) times.push((previous += r.signed()));
  const statuses: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const s = r.byte();
    statuses.push(s === 0xff ? -1 : s);
  }
  const columns: (number | null | undefined)[][] = [];
  for (let c = 0; c < k; c += 1) {
    const column: (number | null | undefined)[] = new Array(n);
    let last = 0;
    for (let i = 0; i < n; i += 1) {
      last += r.signed();
      column[i] = last === 0 ? undefined : last === 1 ? null : last - 2;
    }
    columns.push(column);
  }
  return { keys, times, statuses, columns };
}
