import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { KafkaPipelineInput, PipelinePoint } from '../../../src-shared/schemas/kafka';
import { NdjsonHistory } from '../lag/ndjson-history';

/** Samples closer than this to the previous one are recorded only when a position moved (several views polling at once). */
const MIN_SPACING_MS = 1_000;

/**
 * The store-to-read-model pipeline's samples, one NDJSON file per pipeline
 * (store, Kafka connection, group, topic, projection) in `kafka-pipeline/`.
 * A sample is taken whenever the pipeline is read (the panel polls every 5 s);
 * the Kafka parts between them are in the lag sampler's own history. Kept by
 * the retention of every lag history (lag/retention.ts).
 */
export class PipelineHistory {
  private readonly lastAppend = new Map<string, { at: number; values: string }>();
  private readonly files = new NdjsonHistory<PipelinePoint>({
    timeOf: (p) => Date.parse(p.at),
    isRecord: (v): v is PipelinePoint => typeof v === 'object' && v !== null && typeof (v as { at?: unknown }).at === 'string',
  });

  constructor(readonly dir: string) {}

  async append(input: KafkaPipelineInput, topic: string, point: PipelinePoint): Promise<void> {
    const file = this.fileOf(input, topic);
    const at = Date.parse(point.at);
    const values = JSON.stringify({ ...point, at: undefined });
    const last = this.lastAppend.get(file);
    if (last && at - last.at < MIN_SPACING_MS && last.values === values) return;
    this.lastAppend.set(file, { at, values });
    await this.files.append(file, point);
  }

  /** Samples in [from, to], oldest first, at most `max` (evenly thinned). */
  async read(input: KafkaPipelineInput, topic: string, from: number, to: number, max = Number.POSITIVE_INFINITY): Promise<PipelinePoint[]> {
    const points = (await this.files.read(this.fileOf(input, topic))).filter((p) => {
      const at = Date.parse(p.at);
      return at >= from && at <= to;
    });
    if (points.length <= max) return points;
    const step = points.length / max;
    const kept: PipelinePoint[] = [];
    for (let i = 0; i < max; i += 1) kept.push(points[Math.min(points.length - 1, Math.floor((i + 1) * step) - 1)]!);
    return kept;
  }

  private fileOf(input: KafkaPipelineInput, topic: string): string {
    const key = [input.storeConnectionId, input.kafkaConnectionId, input.groupId, topic, input.projection, input.checkpointConnectionId ?? input.storeConnectionId].join('\u0000');
    return join(this.dir, `${createHash('sha256').update(key).digest('hex').slice(0, 24)}.ndjson`);
  }
}
