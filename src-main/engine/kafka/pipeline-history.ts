import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KafkaPipelineInput, PipelinePoint } from '../../../src-shared/schemas/kafka';

const HOUR = 3_600_000;
const KEEP_MS = 7 * 24 * HOUR;
/** Samples closer than this to the previous one are recorded only when a position moved (several views polling at once). */
const MIN_SPACING_MS = 1_000;
/** Every this many appends the file is rewritten: past a day dropped to one sample a minute, past seven days deleted. */
const COMPACT_EVERY = 720;

/**
 * The store-to-read-model pipeline's samples, one NDJSON file per pipeline
 * (store, Kafka connection, group, topic, projection) in `kafka-pipeline/`.
 * A sample is taken whenever the pipeline is read (the panel polls every 5 s);
 * the Kafka parts between them are in the lag sampler's own history.
 */
export class PipelineHistory {
  private readonly lastAppend = new Map<string, { at: number; values: string }>();
  private readonly appends = new Map<string, number>();

  constructor(readonly dir: string) {}

  async append(input: KafkaPipelineInput, topic: string, point: PipelinePoint): Promise<void> {
    const file = this.fileOf(input, topic);
    const at = Date.parse(point.at);
    const values = JSON.stringify({ ...point, at: undefined });
    const last = this.lastAppend.get(file);
    if (last && at - last.at < MIN_SPACING_MS && last.values === values) return;
    this.lastAppend.set(file, { at, values });
    await mkdir(this.dir, { recursive: true });
    await appendFile(file, `${JSON.stringify(point)}\n`);
    const count = (this.appends.get(file) ?? 0) + 1;
    this.appends.set(file, count);
    if (count % COMPACT_EVERY === 0) await this.compact(file, at);
  }

  /** Samples in [from, to], oldest first, at most `max` (evenly thinned). */
  async read(input: KafkaPipelineInput, topic: string, from: number, to: number, max = Number.POSITIVE_INFINITY): Promise<PipelinePoint[]> {
    const points = (await readPoints(this.fileOf(input, topic))).filter((p) => {
      const at = Date.parse(p.at);
      return at >= from && at <= to;
    });
    if (points.length <= max) return points;
    const step = points.length / max;
    const kept: PipelinePoint[] = [];
    for (let i = 0; i < max; i += 1) kept.push(points[Math.min(points.length - 1, Math.floor((i + 1) * step) - 1)]!);
    return kept;
  }

  private async compact(file: string, now: number): Promise<void> {
    let lastMinute = -1;
    const kept = (await readPoints(file)).filter((p) => {
      const at = Date.parse(p.at);
      if (at < now - KEEP_MS) return false;
      if (at >= now - 24 * HOUR) return true;
      const minute = Math.floor(at / 60_000);
      const keep = minute !== lastMinute;
      lastMinute = minute;
      return keep;
    });
    const temporary = `${file}.tmp`;
    await writeFile(temporary, kept.map((p) => `${JSON.stringify(p)}\n`).join(''));
    await rename(temporary, file);
  }

  private fileOf(input: KafkaPipelineInput, topic: string): string {
    const key = [input.storeConnectionId, input.kafkaConnectionId, input.groupId, topic, input.projection, input.checkpointConnectionId ?? input.storeConnectionId].join('\u0000');
    return join(this.dir, `${createHash('sha256').update(key).digest('hex').slice(0, 24)}.ndjson`);
  }
}

async function readPoints(file: string): Promise<PipelinePoint[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const points: PipelinePoint[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      points.push(JSON.parse(line) as PipelinePoint);
    } catch {
      // a torn last line after a crash
    }
  }
  return points;
}
