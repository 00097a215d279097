import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LagSample } from '../../../src-shared/schemas/checkpoints';
import type { CheckpointKey } from '../../stores/ports/checkpoint-store';
import { NdjsonHistory } from '../lag/ndjson-history';
import { keyId } from './movements';

/** One line of a history file: [at (ms), position, head, lag events, estimated (0/1), lag ms]. */
type Line = [number, string | null, string | null, number | null, 0 | 1, number | null];

/**
 * Lag samples of each checkpoint, one small NDJSON file per checkpoint under
 * `checkpoint-history/<connection>/` in the data directory: appended every round,
 * kept across restarts by the retention of every lag history (lag/retention.ts:
 * an hour as sampled, then one a minute, seven days). Reading a projector's range reads only its file.
 */
export class ProjectorLagHistory {
  private readonly files: NdjsonHistory<Line>;

  constructor(
    private readonly dir: string,
    /** Appends between two rewrites of a file (tests set a few). */
    compactEvery?: number,
  ) {
    this.files = new NdjsonHistory<Line>({ timeOf: (l) => l[0], isRecord: (v): v is Line => Array.isArray(v) && typeof v[0] === 'number', ...(compactEvery ? { compactEvery } : {}) });
  }

  private fileOf(connectionId: string, key: CheckpointKey): string {
    const hash = createHash('sha1').update(keyId(key)).digest('hex').slice(0, 20);
    return join(this.dir, encodeURIComponent(connectionId), `${hash}.ndjson`);
  }

  /** Appends one round of samples of a connection. */
  async append(connectionId: string, samples: ReadonlyArray<{ key: CheckpointKey; sample: LagSample }>): Promise<void> {
    await Promise.all(
      samples.map(({ key, sample }) =>
        this.files.append(this.fileOf(connectionId, key), [Date.parse(sample.at), sample.position, sample.head, sample.lagEvents, sample.estimated ? 1 : 0, sample.lagMs]),
      ),
    );
  }

  /** Samples of one checkpoint in [from, to], at most `maxPoints` (the worst lag of each slice kept). */
  async read(connectionId: string, key: CheckpointKey, from: number, to: number, maxPoints: number): Promise<LagSample[]> {
    const lines = (await this.files.read(this.fileOf(connectionId, key))).filter((l) => l[0] >= from && l[0] <= to);
    return thin(lines, maxPoints).map(([at, position, head, lagEvents, estimated, lagMs]) => ({ at: new Date(at).toISOString(), position, head, lagEvents, estimated: estimated === 1, lagMs }));
  }

  async forget(connectionId: string): Promise<void> {
    const dir = join(this.dir, encodeURIComponent(connectionId));
    await rm(dir, { recursive: true, force: true });
    this.files.forget(dir);
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
