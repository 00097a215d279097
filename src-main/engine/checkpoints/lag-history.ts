import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LagSample } from '../../../src-shared/schemas/checkpoints';
import type { CheckpointKey } from '../../stores/ports/checkpoint-store';
import { SerialQueue } from '../util/serial-queue';
import { writeFileAtomic } from '../util/files';
import { keyId } from './movements';

/** Samples kept per checkpoint: a day at one every 5 s. Older ones are dropped. */
export const MAX_SAMPLES_PER_CHECKPOINT = 17_280;
/** Trimmed once this far past the bound, so a file is rewritten once per few hours, not per sample. */
const TRIM_SLACK = 0.1;

/** One line of a history file: [at (ms), position, head, lag events, estimated (0/1), lag ms]. */
type Line = [number, string | null, string | null, number | null, 0 | 1, number | null];

/**
 * Lag samples of each checkpoint, one small NDJSON file per checkpoint under
 * `checkpoint-history/<connection>/` in the data directory: appended every round,
 * bounded, kept across restarts. Reading a projector's range reads only its file.
 */
export class ProjectorLagHistory {
  private readonly counts = new Map<string, number>();
  private readonly queues = new Map<string, SerialQueue>();

  constructor(
    private readonly dir: string,
    private readonly maxSamples = MAX_SAMPLES_PER_CHECKPOINT,
  ) {}

  private fileOf(connectionId: string, key: CheckpointKey): string {
    const hash = createHash('sha1').update(keyId(key)).digest('hex').slice(0, 20);
    return join(this.dir, encodeURIComponent(connectionId), `${hash}.ndjson`);
  }

  private queue(file: string): SerialQueue {
    let q = this.queues.get(file);
    if (!q) this.queues.set(file, (q = new SerialQueue()));
    return q;
  }

  /** Appends one round of samples of a connection. */
  async append(connectionId: string, samples: ReadonlyArray<{ key: CheckpointKey; sample: LagSample }>): Promise<void> {
    await mkdir(join(this.dir, encodeURIComponent(connectionId)), { recursive: true });
    await Promise.all(
      samples.map(({ key, sample }) => {
        const file = this.fileOf(connectionId, key);
        return this.queue(file).run(async () => {
          const line: Line = [Date.parse(sample.at), sample.position, sample.head, sample.lagEvents, sample.estimated ? 1 : 0, sample.lagMs];
          let count = this.counts.get(file);
          let prefix = '';
          if (count === undefined) {
            // First write to this file in this run: count its lines, and end a line a crash cut short so this one starts clean.
            const existing = await this.inspect(file);
            count = existing.lines;
            if (existing.unterminated) prefix = '\n';
          }
          await appendFile(file, `${prefix}${JSON.stringify(line)}\n`, { mode: 0o600 });
          count += 1;
          this.counts.set(file, count);
          if (count > this.maxSamples * (1 + TRIM_SLACK)) await this.trim(file);
        });
      }),
    );
  }

  /** Samples of one checkpoint in [from, to], at most `maxPoints` (the worst lag of each slice kept). */
  async read(connectionId: string, key: CheckpointKey, from: number, to: number, maxPoints: number): Promise<LagSample[]> {
    const file = this.fileOf(connectionId, key);
    const lines = (await this.queue(file).run(() => this.lines(file))).filter((l) => l[0] >= from && l[0] <= to);
    return thin(lines, maxPoints).map(([at, position, head, lagEvents, estimated, lagMs]) => ({ at: new Date(at).toISOString(), position, head, lagEvents, estimated: estimated === 1, lagMs }));
  }

  async forget(connectionId: string): Promise<void> {
    await rm(join(this.dir, encodeURIComponent(connectionId)), { recursive: true, force: true });
    for (const file of this.counts.keys()) if (file.startsWith(join(this.dir, encodeURIComponent(connectionId)))) this.counts.delete(file);
  }

  private async lines(file: string): Promise<Line[]> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: Line[] = [];
    for (const raw of text.split('\n')) {
      if (!raw) continue;
      try {
        const line = JSON.parse(raw) as Line;
        if (Array.isArray(line) && typeof line[0] === 'number') out.push(line);
      } catch {
        // A line cut short by a crash: the others still count.
      }
    }
    return out;
  }

  private async inspect(file: string): Promise<{ lines: number; unterminated: boolean }> {
    try {
      const text = await readFile(file, 'utf8');
      let lines = 0;
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines += 1;
      return { lines, unterminated: text.length > 0 && !text.endsWith('\n') };
    } catch {
      return { lines: 0, unterminated: false };
    }
  }

  private async trim(file: string): Promise<void> {
    const kept = (await this.lines(file)).slice(-this.maxSamples);
    await writeFileAtomic(file, kept.map((l) => `${JSON.stringify(l)}\n`).join(''));
    this.counts.set(file, kept.length);
  }
}

/** At most `maxPoints` lines: each slice of time keeps its line with the largest lag, so a spike is never thinned away. */
function thin(lines: Line[], maxPoints: number): Line[] {
  if (lines.length <= maxPoints) return lines;
  const first = lines[0]![0];
  const span = lines[lines.length - 1]![0] - first + 1;
  const slices = new Map<number, Line>();
  for (const line of lines) {
    const slice = Math.floor(((line[0] - first) / span) * maxPoints);
    const kept = slices.get(slice);
    if (!kept || (line[3] ?? -1) > (kept[3] ?? -1)) slices.set(slice, line);
  }
  return [...slices.values()];
}
