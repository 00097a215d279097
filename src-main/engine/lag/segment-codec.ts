/**
 * The binary form of a closed lag-history segment (segment-history.ts):
 * columnar, one block per key, gzipped by the caller.
 *
 * Layout "LH3\n": sample count N, key count K, K keys (length + UTF-8),
 * N timestamps (first absolute, then deltas), then K columns of N values,
 * each led by its kind byte:
 * - 0, integers ≥ 0: per value a zigzag varint of the delta from the
 *   previous stored value, where 0 stands for "absent from this sample", 1 for
 *   null and v + 2 for v. Offsets move by small steps, so most take a byte or two.
 * - 2, integers of either sign: the same with zigzag(v) + 2 for v.
 * - 1, any JSON value (text, fractions): per value a varint tag, 0 absent,
 *   1 null, 2 same as the previous value, n ≥ 3 then n − 3 bytes of JSON.
 *
 * "LH2\n" (written before the three lag histories shared this module, Kafka
 * groups only) is still read: integer columns without kinds, one status byte
 * per sample (an index in LAG_STATUSES, 0xff: none) which lands in the column
 * of the key `LABEL_KEY`.
 */

/** A value of one key in one sample. */
export type SeriesValue = number | string | null;

export interface ColumnarSegment {
  keys: string[];
  times: number[];
  /** columns[k][i]: the value of key k in sample i; undefined: key absent from that sample. */
  columns: (SeriesValue | undefined)[][];
}

/** The key a per-sample label lives under (a Kafka group's status); no partition key is empty. */
export const LABEL_KEY = '';

const MAGIC = Buffer.from('LH3\n');
const MAGIC_V2 = Buffer.from('LH2\n');
const NATURALS = 0;
const JSON_VALUES = 1;
const INTEGERS = 2;

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
    this.varint(zigzag(value));
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
    return unzigzag(this.varint());
  }

  byte(): number {
    const b = this.buffer[this.offset++];
    if (b === undefined) throw new Error('truncated lag-history segment');
    return b;
  }

  bytes(n: number): Buffer {
    if (this.offset + n > this.buffer.length) throw new Error('truncated lag-history segment');
    const out = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

const zigzag = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);
const unzigzag = (v: number): number => (v % 2 === 0 ? v / 2 : -(v + 1) / 2);

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
  for (const column of segment.columns) {
    const integers = column.every(
      (v) => v === undefined || v === null || (typeof v === 'number' && Number.isSafeInteger(v) && Number.isSafeInteger(zigzag(v) + 2)),
    );
    if (integers) {
      const naturals = column.every((v) => typeof v !== 'number' || v >= 0);
      w.byte(naturals ? NATURALS : INTEGERS);
      let last = 0;
      for (const value of column) {
        const stored = value === undefined ? 0 : value === null ? 1 : (naturals ? (value as number) : zigzag(value as number)) + 2;
        w.signed(stored - last);
        last = stored;
      }
    } else {
      w.byte(JSON_VALUES);
      let last: SeriesValue | undefined;
      for (const value of column) {
        if (value === undefined) w.varint(0);
        else if (value === null) w.varint(1);
        else if (value === last) w.varint(2);
        else {
          const bytes = Buffer.from(JSON.stringify(value), 'utf8');
          w.varint(bytes.length + 3);
          w.bytes(bytes);
        }
        last = value;
      }
    }
  }
  return w.done();
}

export function isColumnar(data: Buffer): boolean {
  const head = data.subarray(0, MAGIC.length);
  return head.equals(MAGIC) || head.equals(MAGIC_V2);
}

export function decodeColumnar(data: Buffer): ColumnarSegment {
  const legacy = data.subarray(0, MAGIC_V2.length).equals(MAGIC_V2);
  if (!legacy && !data.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('not a lag-history segment');
  const r = new Reader(data);
  r.bytes(MAGIC.length);
  const n = r.varint();
  const k = r.varint();
  const keys: string[] = [];
  for (let i = 0; i < k; i += 1) keys.push(r.bytes(r.varint()).toString('utf8'));
  const times: number[] = [];
  let previous = 0;
  for (let i = 0; i < n; i += 1) times.push((previous += r.signed()));
  const columns: (SeriesValue | undefined)[][] = [];
  let labels: (number | undefined)[] | undefined;
  if (legacy) {
    labels = [];
    for (let i = 0; i < n; i += 1) {
      const s = r.byte();
      labels.push(s === 0xff ? undefined : s);
    }
  }
  for (let c = 0; c < k; c += 1) {
    const column: (SeriesValue | undefined)[] = new Array(n);
    const kind = legacy ? NATURALS : r.byte();
    if (kind === NATURALS || kind === INTEGERS) {
      let last = 0;
      for (let i = 0; i < n; i += 1) {
        last += r.signed();
        column[i] = last === 0 ? undefined : last === 1 ? null : kind === NATURALS ? last - 2 : unzigzag(last - 2);
      }
    } else if (kind === JSON_VALUES) {
      let last: SeriesValue | undefined;
      for (let i = 0; i < n; i += 1) {
        const tag = r.varint();
        if (tag === 0) column[i] = last = undefined;
        else if (tag === 1) column[i] = last = null;
        else if (tag === 2) column[i] = last;
        else column[i] = last = JSON.parse(r.bytes(tag - 3).toString('utf8')) as SeriesValue;
      }
    } else {
      throw new Error(`lag-history segment column of unknown kind ${kind}`);
    }
    columns.push(column);
  }
  if (labels?.some((l) => l !== undefined)) {
    keys.push(LABEL_KEY);
    columns.push(labels);
  }
  return { keys, times, columns };
}
