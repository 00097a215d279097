/**
 * A small, fast, seedable PRNG (sfc32). The generator draws every choice, id,
 * key and IV from it, so one seed always yields byte-identical datasets.
 */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** Exponentially distributed with the given mean (inter-arrival times). */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  bytes(length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i += 4) {
      const v = this.nextUint32();
      for (let j = 0; j < 4 && i + j < length; j++) out[i + j] = (v >>> (j * 8)) & 0xff;
    }
    return out;
  }

  /**
   * A v4-layout UUID drawn from the stream. Same draws and same text as
   * formatting `bytes(16)` as hex, without the Buffer and the slicing (hot path).
   */
  uuid(): string {
    const w0 = this.nextUint32();
    const w1 = this.nextUint32();
    const w2 = this.nextUint32();
    const w3 = this.nextUint32();
    // Bytes come out little-endian within each 32-bit draw (see bytes()).
    return (
      hex8(w0) +
      '-' +
      HEX[w1 & 0xff]! +
      HEX[(w1 >>> 8) & 0xff]! +
      '-' +
      HEX[((w1 >>> 16) & 0x0f) | 0x40]! +
      HEX[w1 >>> 24]! +
      '-' +
      HEX[(w2 & 0x3f) | 0x80]! +
      HEX[(w2 >>> 8) & 0xff]! +
      '-' +
      hex8(w2 >>> 16, 2) +
      hex8(w3)
    );
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Hex of the low `count` bytes of `v`, least significant byte first (the order bytes() emits them). */
function hex8(v: number, count = 4): string {
  let s = '';
  for (let j = 0; j < count; j++) s += HEX[(v >>> (j * 8)) & 0xff]!;
  return s;
}
