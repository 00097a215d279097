import { createHash } from 'node:crypto';
import type { KafkaPipelineInput, PipelinePoint } from '../../../src-shared/schemas/kafka';
import { SegmentHistory, type SeriesSample, type SeriesValue } from '../lag/segment-history';

/** Samples closer than this to the previous one are recorded only when a position moved (several views polling at once). */
const MIN_SPACING_MS = 1_000;

/** A point's values as series keys (the backlogs flattened). */
type Key = 'storeHead' | 'relayed' | 'unpublished' | 'topicEnd' | 'committed' | 'checkpoint' | 'backlog.relay' | 'backlog.consumer' | 'backlog.projector';

const isEarlierPoint = (v: unknown): v is PipelinePoint => typeof v === 'object' && v !== null && typeof (v as { at?: unknown }).at === 'string';

/**
 * The store-to-read-model pipeline's samples, one series per pipeline
 * (store, Kafka connection, group, topic, projection) in `kafka-pipeline/<hash>/`,
 * in the format and retention of every lag history (lag/segment-history.ts).
 * A sample is taken whenever the pipeline is read (the panel polls every 5 s);
 * the Kafka parts between them are in the lag sampler's own history. A
 * pipeline's `<hash>.ndjson` of an earlier version is moved into its series
 * the first time it is read or written.
 */
export class PipelineHistory {
  private readonly lastAppend = new Map<string, { at: number; values: string }>();
  private readonly segments: SegmentHistory;

  constructor(readonly dir: string) {
    this.segments = new SegmentHistory(dir);
  }

  async append(input: KafkaPipelineInput, topic: string, point: PipelinePoint): Promise<void> {
    const series = await this.seriesOf(input, topic);
    const { at, values } = sampleOf(point);
    const moved = JSON.stringify([...values]);
    const last = this.lastAppend.get(series);
    if (last && at - last.at < MIN_SPACING_MS && last.values === moved) return;
    this.lastAppend.set(series, { at, values: moved });
    await this.segments.append(series, at, [...values]);
  }

  /** Samples in [from, to], oldest first, at most `max` (evenly thinned). */
  async read(input: KafkaPipelineInput, topic: string, from: number, to: number, max = Number.POSITIVE_INFINITY): Promise<PipelinePoint[]> {
    const points = (await this.segments.read(await this.seriesOf(input, topic), from, to)).map(pointOf);
    if (points.length <= max) return points;
    const step = points.length / max;
    const kept: PipelinePoint[] = [];
    for (let i = 0; i < max; i += 1) kept.push(points[Math.min(points.length - 1, Math.floor((i + 1) * step) - 1)]!);
    return kept;
  }

  /** The pipeline's series, its earlier NDJSON file moved into it. */
  private async seriesOf(input: KafkaPipelineInput, topic: string): Promise<string> {
    const key = [
      input.storeConnectionId,
      input.kafkaConnectionId,
      input.groupId,
      topic,
      input.projection,
      input.checkpointConnectionId ?? input.storeConnectionId,
    ].join('\u0000');
    const series = createHash('sha256').update(key).digest('hex').slice(0, 24);
    await this.segments.migrateOnce(series, isEarlierPoint, sampleOf);
    return series;
  }
}

function sampleOf(point: PipelinePoint): SeriesSample {
  const values = new Map<Key, SeriesValue>([
    ['storeHead', point.storeHead],
    ['relayed', point.relayed],
    ['unpublished', point.unpublished],
    ['topicEnd', point.topicEnd],
    ['committed', point.committed],
    ['checkpoint', point.checkpoint],
    ['backlog.relay', point.backlog.relay],
    ['backlog.consumer', point.backlog.consumer],
    ['backlog.projector', point.backlog.projector],
  ]);
  return { at: Date.parse(point.at), values };
}

function pointOf({ at, values }: SeriesSample): PipelinePoint {
  const get = (key: Key): number | null => {
    const v = values.get(key);
    return typeof v === 'number' ? v : null;
  };
  return {
    at: new Date(at).toISOString(),
    storeHead: get('storeHead'),
    relayed: get('relayed'),
    unpublished: get('unpublished'),
    topicEnd: get('topicEnd') ?? 0,
    committed: get('committed') ?? 0,
    checkpoint: get('checkpoint'),
    backlog: { relay: get('backlog.relay'), consumer: get('backlog.consumer') ?? 0, projector: get('backlog.projector') },
  };
}
