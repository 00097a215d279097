import type pg from 'pg';
import type { ResetPlanRow } from '../../../src-shared/schemas/kafka';
import { inTransaction } from '../../stores/postgres/transaction';

/** The reference projectors' checkpoint source for a partition (position = next offset to read). */
export function kafkaSource(topic: string, partition: number): string {
  return `kafka:${topic}:${partition}`;
}

/**
 * The checkpoints a Kafka projector keeps in `projection_checkpoints`, per
 * "topic:partition" (null where it has none). A projector that reads them
 * skips messages below its checkpoint, so moving the group back alone would
 * reprocess nothing.
 */
export async function readCheckpoints(pool: pg.Pool, projection: string, rows: readonly Pick<ResetPlanRow, 'topic' | 'partition'>[]): Promise<Map<string, string | null>> {
  const sources = rows.map((r) => kafkaSource(r.topic, r.partition));
  const { rows: found } = await pool.query<{ source: string; position: string }>(
    'SELECT source, position FROM projection_checkpoints WHERE projection_name = $1 AND source = ANY($2::text[])',
    [projection, sources],
  );
  const bySource = new Map(found.map((r) => [r.source, r.position]));
  return new Map(rows.map((r) => [`${r.topic}:${r.partition}`, bySource.get(kafkaSource(r.topic, r.partition)) ?? null]));
}

/** Sets each partition's checkpoint to the plan's new offset, in one transaction (backwards too: that is the point). */
export async function writeCheckpoints(pool: pg.Pool, projection: string, plan: readonly ResetPlanRow[]): Promise<void> {
  await inTransaction(pool, async (client) => {
    for (const row of plan) {
      await client.query(
        `INSERT INTO projection_checkpoints (projection_name, source, position, updated_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (projection_name, source) DO UPDATE SET position = EXCLUDED.position, updated_at = now()`,
        [projection, kafkaSource(row.topic, row.partition), row.next],
      );
    }
  });
}
