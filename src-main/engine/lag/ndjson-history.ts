import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../util/files';
import { SerialQueue } from '../util/serial-queue';
import { retainSamples } from './retention';

/** Appends between two rewrites of a file by the retention policy (an hour of samples at 5 s). */
export const COMPACT_EVERY = 720;

export interface NdjsonHistoryOptions<T> {
  /** When a record was sampled (epoch ms). */
  timeOf(record: T): number;
  /** Whether a parsed line is a record; lines of another shape are skipped. */
  isRecord(value: unknown): value is T;
  compactEvery?: number;
}

/**
 * Sample files of one JSON value per line, appended and read one at a time per
 * file, rewritten every `compactEvery` appends by the shared retention policy
 * (lag/retention.ts). A line a crash cut short is skipped on reading and
 * ended before the next append, so the lines after it stay readable.
 */
export class NdjsonHistory<T> {
  private readonly queues = new Map<string, SerialQueue>();
  /** Per file written in this run: lines appended since it was last rewritten. */
  private readonly appended = new Map<string, number>();
  private readonly compactEvery: number;

  constructor(private readonly options: NdjsonHistoryOptions<T>) {
    this.compactEvery = options.compactEvery ?? COMPACT_EVERY;
  }

  async append(file: string, record: T): Promise<void> {
    await this.queue(file).run(async () => {
      let count = this.appended.get(file);
      let prefix = '';
      if (count === undefined) {
        await mkdir(dirname(file), { recursive: true });
        // First write to this file in this run: end a line a crash cut short, so this one starts clean.
        const text = await readFile(file, 'utf8').catch(() => '');
        if (text.length > 0 && !text.endsWith('\n')) prefix = '\n';
        count = 0;
      }
      await appendFile(file, `${prefix}${JSON.stringify(record)}\n`, { mode: 0o600 });
      count += 1;
      this.appended.set(file, count);
      if (count >= this.compactEvery) await this.compact(file, this.options.timeOf(record));
    });
  }

  /** Every record of a file, oldest first (none when it does not exist). */
  read(file: string): Promise<T[]> {
    return this.queue(file).run(() => this.records(file));
  }

  /** Forgets the files under `prefix` (after they were deleted). */
  forget(prefix: string): void {
    for (const file of [...this.appended.keys()]) if (file.startsWith(prefix)) this.appended.delete(file);
  }

  private queue(file: string): SerialQueue {
    let q = this.queues.get(file);
    if (!q) this.queues.set(file, (q = new SerialQueue()));
    return q;
  }

  private async records(file: string): Promise<T[]> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: T[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const value: unknown = JSON.parse(line);
        if (this.options.isRecord(value)) out.push(value);
      } catch {
        // A line cut short by a crash: the others still count.
      }
    }
    return out;
  }

  private async compact(file: string, now: number): Promise<void> {
    const kept = retainSamples(await this.records(file), (r) => this.options.timeOf(r), now);
    await writeFileAtomic(file, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
    this.appended.set(file, 0);
  }
}
