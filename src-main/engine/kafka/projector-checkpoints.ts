import type { ResetPlanRow } from '../../../src-shared/schemas/kafka';
import { ChronoError } from '../../../src-shared/errors';
import type { CheckpointKey, CheckpointStore, CheckpointView } from '../../stores/ports/checkpoint-store';
import { translateCompanionError } from '../checkpoints/companion-ports';

/** The checkpoint source a Kafka projector keeps for a partition (position = next offset to read). */
export function kafkaSource(topic: string, partition: number): string {
  return `kafka:${topic}:${partition}`;
}

const partitionKey = (row: Pick<ResetPlanRow, 'topic' | 'partition'>) => `${row.topic}:${row.partition}`;

async function ported<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw translateCompanionError(err);
  }
}

/**
 * The checkpoints a Kafka projector keeps per partition (source
 * `kafka:<topic>:<partition>`), read through the connection's CheckpointStore
 * whatever its layout, keyed "topic:partition" (null where it has none). A projector
 * that reads them skips messages below its checkpoint, so moving the group back
 * alone would reprocess nothing.
 */
export async function readCheckpoints(
  store: CheckpointStore,
  projection: string,
  rows: readonly Pick<ResetPlanRow, 'topic' | 'partition'>[],
): Promise<Map<string, CheckpointView | null>> {
  const listed = await ported(() => store.list());
  const bySource = new Map<string, CheckpointView>();
  for (const view of listed) if (view.role === 'projector' && view.projector === projection && !bySource.has(view.source)) bySource.set(view.source, view);
  return new Map(rows.map((r) => [partitionKey(r), bySource.get(kafkaSource(r.topic, r.partition)) ?? null]));
}

/** Refuses (before anything moves) when a checkpoint is not where the confirmed dry run showed it. */
export function refuseMovedSinceDryRun(
  projection: string,
  confirmed: readonly Pick<ResetPlanRow, 'topic' | 'partition' | 'checkpoint'>[],
  current: Map<string, CheckpointView | null>,
): void {
  for (const row of confirmed) {
    if (row.checkpoint === undefined) continue;
    const now = current.get(partitionKey(row))?.position ?? null;
    if (now !== row.checkpoint) {
      throw new ChronoError(
        'conflict',
        `Projector "${projection}" moved its checkpoint for ${partitionKey(row)} from ${row.checkpoint ?? 'none'} to ${now ?? 'none'} since the dry run: nothing was moved. Stop the projector and run the dry run again.`,
      );
    }
  }
}

/**
 * Sets each partition's checkpoint to the plan's new offset (backwards too: that is
 * the point), each by compare-and-set from the position read, then runs `then` (the
 * group's offsets), all in one transaction where the store has one (PostgreSQL): a
 * checkpoint that moved in between, or offsets that could not be moved, roll them all
 * back, and a conflict moves no offset either. On MongoDB (no transactions on FerretDB)
 * the checkpoints already set stay set, and the refusal names them.
 */
export async function writeCheckpoints(
  store: CheckpointStore,
  projection: string,
  plan: readonly ResetPlanRow[],
  read: Map<string, CheckpointView | null>,
  then: () => Promise<void> = async () => undefined,
): Promise<void> {
  const fallbackStore = store.stores()[0]!;
  const set: string[] = [];
  await ported(() =>
    store.transaction(async (tx) => {
      for (const row of plan) {
        const view = read.get(partitionKey(row)) ?? null;
        const key: CheckpointKey = { store: view?.store ?? fallbackStore, projector: projection, source: kafkaSource(row.topic, row.partition) };
        const expected = view?.position ?? null;
        const result = await tx.setPosition(key, expected, row.next);
        if (result.outcome === 'moved') {
          const kept =
            store.atomic || set.length === 0
              ? 'nothing was moved'
              : `the group's offsets were not moved, but the checkpoints of ${set.join(', ')} were already set (this store has no transactions)`;
          throw new ChronoError(
            'conflict',
            `Projector "${projection}" moved its checkpoint for ${partitionKey(row)} from ${expected ?? 'none'} to ${result.checkpoint?.position ?? 'none'} while it was being reset: ${kept}. Stop the projector and run the dry run again.`,
          );
        }
        set.push(partitionKey(row));
      }
      try {
        await then();
      } catch (err) {
        if (store.atomic || set.length === 0) throw err;
        const reason = err instanceof Error ? err.message : String(err);
        throw new ChronoError(
          err instanceof ChronoError ? err.code : 'unavailable',
          `${reason} The projector's checkpoints of ${set.join(', ')} were already set (this store has no transactions): run the dry run again before retrying.`,
        );
      }
    }),
  );
}
