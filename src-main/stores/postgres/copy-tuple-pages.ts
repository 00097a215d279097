/**
 * Replay pages from one `COPY (SELECT tuple ...) TO STDOUT (FORMAT binary)`: PostgreSQL writes
 * each event's tuple (replay-wire.ts) as the one column of its row, and the host frames the
 * rows into a batch by copying bytes: no per-row message of the query protocol, no string per
 * field, no escaping to undo (binary COPY sends a text column as it is). The copy is read
 * ahead while the caller folds: pages queue up to `readAhead`, then the socket is paused, so
 * PostgreSQL works while the sandbox folds and memory stays bounded.
 */
import type { Readable } from 'node:stream';

/** The fields of a page's last tuple a replay reports (version reached, its type and time). */
export interface TupleHead {
  version: number;
  type: string;
  timestamp: string | null;
}

/**
 * A page: `events` is the JSON array of its tuples (an `EncodedTuples.events`), `count`
 * tuples; `read` rows in all, the passed ones included; `last` the head of its last row.
 */
export interface CopyTuplePage {
  events: string;
  count: number;
  read: number;
  last: TupleHead;
}

/** Heads a row to pass: an event of a type the replay does not ship, only its head follows (`!` then its short tuple). */
export const PASSED_ROW = '!';
const PASSED = PASSED_ROW.charCodeAt(0);

/** `PGCOPY\n\377\r\n\0`: the signature every binary COPY starts with. */
const SIGNATURE = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]);
const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;

/** The head of a tuple from its JSON text (REPLAY_TUPLE order: version, type, …, timestamp at 4). */
export function tupleHead(tuple: string): TupleHead {
  const t = JSON.parse(tuple) as unknown[];
  return { version: Number(t[0]), type: String(t[1]), timestamp: typeof t[4] === 'string' ? t[4] : null };
}

/**
 * Cuts a binary COPY of one-column rows into pages of at most `pageRows` rows. Fed
 * chunks as they arrive (a row may span chunks); `flush` ends the current page.
 */
export class CopyTupleFramer {
  private header = true;
  private done = false;
  private pending: Buffer | null = null;
  private out = Buffer.allocUnsafeSlow(1 << 20);
  private length = 0;
  private count = 0;
  private read = 0;
  private lastStart = 0;
  /** The last row when it was a passed one (its short tuple's text), else null. */
  private lastPassed: string | null = null;

  constructor(
    private readonly pageRows: number,
    private readonly onPage: (page: CopyTuplePage) => void,
  ) {}

  /** Whether the copy's trailer was read. */
  get finished(): boolean {
    return this.done;
  }

  push(chunk: Buffer): void {
    if (this.done) return;
    const data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    let at = 0;
    if (this.header) {
      if (data.length < SIGNATURE.length + 8) {
        this.pending = data;
        return;
      }
      if (!data.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error('the replay copy is not in binary COPY format');
      const extension = data.readInt32BE(SIGNATURE.length + 4);
      if (data.length < SIGNATURE.length + 8 + extension) {
        this.pending = data;
        return;
      }
      at = SIGNATURE.length + 8 + extension;
      this.header = false;
    }
    while (at + 2 <= data.length) {
      const fields = data.readInt16BE(at);
      if (fields === -1) {
        this.done = true;
        at += 2;
        break;
      }
      if (fields !== 1) throw new Error(`a replay copy row has ${fields} columns, not 1`);
      if (at + 6 > data.length) break;
      const size = data.readInt32BE(at + 2);
      if (size < 0) throw new Error('a replay copy row has no tuple');
      if (at + 6 + size > data.length) break;
      if (size > 0 && data[at + 6] === PASSED) {
        this.lastPassed = data.toString('utf8', at + 7, at + 6 + size);
        this.read += 1;
      } else {
        this.append(data, at + 6, at + 6 + size);
      }
      at += 6 + size;
      if (this.read >= this.pageRows) this.flush();
    }
    if (at < data.length && !this.done) this.pending = data.subarray(at);
  }

  /** Ends the current page (nothing when it is empty). */
  flush(): void {
    if (this.read === 0) return;
    let events = '[]';
    let last: TupleHead;
    if (this.count > 0) {
      this.reserve(1);
      this.out[this.length++] = CLOSE;
      events = this.out.toString('utf8', 0, this.length);
    }
    // The last row is the passed one, or the last tuple, whose bytes start at lastStart and end before the closing bracket.
    if (this.lastPassed !== null) last = tupleHead(this.lastPassed);
    else last = tupleHead(this.out.toString('utf8', this.lastStart, this.length - 1));
    const page: CopyTuplePage = { events, count: this.count, read: this.read, last };
    this.length = 0;
    this.count = 0;
    this.read = 0;
    this.lastPassed = null;
    this.onPage(page);
  }

  private append(data: Buffer, start: number, end: number): void {
    this.reserve(end - start + 1);
    this.out[this.length++] = this.count === 0 ? OPEN : COMMA;
    this.lastStart = this.length;
    data.copy(this.out, this.length, start, end);
    this.length += end - start;
    this.count += 1;
    this.read += 1;
    this.lastPassed = null;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.out.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.out.length * 2, this.length + bytes));
    this.out.copy(grown, 0, 0, this.length);
    this.out = grown;
  }
}

/**
 * The pages of a binary COPY stream, read ahead up to `readAhead` pages (the stream paused
 * beyond). Returning early (break, throw) destroys the stream; the caller then discards the
 * connection, which is still in its COPY.
 */
export async function* copyTuplePages(stream: Readable, pageRows: number, readAhead: number): AsyncGenerator<CopyTuplePage> {
  const queue: CopyTuplePage[] = [];
  let failure: { error: unknown } | null = null;
  let ended = false;
  let wake: (() => void) | null = null;
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  const framer = new CopyTupleFramer(pageRows, (page) => {
    queue.push(page);
    if (queue.length >= readAhead) stream.pause();
  });
  const onData = (chunk: Buffer): void => {
    try {
      framer.push(chunk);
    } catch (error) {
      failure = { error };
      stream.destroy();
    }
    notify();
  };
  const onEnd = (): void => {
    try {
      framer.flush();
      if (!framer.finished) throw new Error('the replay copy ended before its trailer');
    } catch (error) {
      failure ??= { error };
    }
    ended = true;
    notify();
  };
  const onError = (error: unknown): void => {
    failure ??= { error };
    ended = true;
    notify();
  };
  stream.on('data', onData);
  stream.once('end', onEnd);
  stream.once('error', onError);
  try {
    for (;;) {
      const page = queue.shift();
      if (page) {
        if (queue.length < readAhead && stream.isPaused()) stream.resume();
        yield page;
        continue;
      }
      if (failure) throw (failure as { error: unknown }).error;
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('error', onError);
    if (!ended) {
      // Its connection is discarded next, which fails the copy once more: that is expected, not a crash.
      stream.on('error', () => undefined);
      stream.destroy();
    }
  }
}
