import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LagSample } from '../../../src-shared/schemas/checkpoints';
import type { CheckpointKey } from '../../stores/ports/checkpoint-store';
import { SegmentHistory, type SeriesSample, type SeriesValue } from '../lag/segment-history';
import { keyId } from './movements';

/** A line of the NDJSON files kept before: [at (ms), position, head, lag events, estimated (0/1), lag ms]. */
type EarlierLine = [number, string | null, string | null, number | null, 0 | 1, number | null];

const isEarlierLine = (v: unknown): v is EarlierLine => Array.isArray(v) && typeof v[0] === 'number';

/**
 * Lag samples of each checkpoint, one series per checkpoint under
 * `checkpoint-history/<connection>/<hash>/` in the data directory, in the
 * format and retention of every lag history (lag/segment-history.ts: an hour
 * as sampled, then one a minute, seven days). Reading a projector's range
 * reads only its series. A checkpoint's `<hash>.ndjson` of an earlier version
 * is moved into its series the first time it is read or written.
 */
export class ProjectorLagHistory {
  private readonly segments: SegmentHistory;

  constructor(private readonly dir: string) {
    this.segments = new SegmentHistory(dir);
  }

  private seriesOf(connectionId: string, key: CheckpointKey): string {
    const hash = createHash('sha1').update(keyId(key)).digest('hex').slice(0, 20);
    return join(encodeURIComponent(connectionId), hash);
  }

  private async ready(series: string): Promise<string> {
    await this.segments.migrateOnce(series, isEarlierLine, ([at, position, head, lagEvents, estimated, lagMs]) =>
      seriesSample(at, { position, head, lagEvents, estimated: estimated === 1, lagMs }),
    );
    return series;
  }

  /** Appends one round of samples of a connection. */
  async append(connectionId: string, samples: ReadonlyArray<{ key: CheckpointKey; sample: LagSample }>): Promise<void> {
    await Promise.all(
      samples.map(async ({ key, sample }) => {
        const { at, values } = seriesSample(Date.parse(sample.at), sample);
        await this.segments.append(await this.ready(this.seriesOf(connectionId, key)), at, [...values]);
      }),
    );
  }

  /** Samples of one checkpoint in [from, to], at most `maxPoints` (the worst lag of each slice kept). */
  async read(connectionId: string, key: CheckpointKey, from: number, to: number, maxPoints: number): Promise<LagSample[]> {
    const samples = await this.segments.read(await this.ready(this.seriesOf(connectionId, key)), from, to);
    return thin(samples, maxPoints).map(({ at, values }) => ({
      at: new Date(at).toISOString(),
      position: text(values.get('position')),
      head: text(values.get('head')),
      lagEvents: number(values.get('lagEvents')),
      estimated: values.get('estimated') === 1,
      lagMs: number(values.get('lagMs')),
    }));
  }

  /** Applies the retention to every checkpoint's series (those of checkpoints gone too). */
  compact(now: number): Promise<void> {
    return this.segments.compact(now);
  }

  async forget(connectionId: string): Promise<void> {
    const connection = encodeURIComponent(connectionId);
    await rm(join(this.dir, connection), { recursive: true, force: true });
    this.segments.forget(connection);
  }
}

function seriesSample(at: number, sample: Omit<LagSample, 'at'>): SeriesSample {
  const values = new Map<string, SeriesValue>([
    ['position', sample.position],
    ['head', sample.head],
    ['lagEvents', sample.lagEvents],
    ['estimated', sample.estimated ? 1 : 0],
    ['lagMs', sample.lagMs],
  ]);
  return { at, values };
}

const text = (v: SeriesValue | undefined): string | null => (v === undefined || v === null ? null : String(v));
const number = (v: SeriesValue | undefined): number | null => (typeof v === 'number' ? v : null);

/** At most `maxPoints` samples: each slice of time keeps its sample with the largest lag, so a spike is never thinned away. */
function thin(samples: SeriesSample[], maxPoints: number): SeriesSample[] {
  if (samples.length <= maxPoints) return samples;
  const first = samples[0]!.at;
  const span = samples[samples.length - 1]!.at - first + 1;
  const lagOf = (s: SeriesSample) => number(s.values.get('lagEvents')) ?? -1;
  const slices = new Map<number, SeriesSample>();
  for (const sample of samples) {
    const slice = Math.floor(((sample.at - first) / span) * maxPoints);
    const kept = slices.get(slice);
    if (!kept || lagOf(sample) > lagOf(kept)) slices.set(slice, sample);
  }
  return [...slices.values()];
}
