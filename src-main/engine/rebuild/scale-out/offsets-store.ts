/**
 * Where a scale-out rebuild keeps its state, in the target database beside the
 * shadow: one row per rebuild (topic, group, how far the publisher got) and one
 * row per partition of the replay topic (the next offset to apply and the
 * highest global position applied), written by the workers in the same
 * transaction as the shadow rows: a batch is in the shadow exactly when its
 * offsets are.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { inTransaction } from '../../../stores/postgres/transaction';
import type { PartitionMark, PartitionState } from './bookkeeping';

type Queryable = Pick<pg.Pool | pg.PoolClient | pg.Client, 'query'>;

export const SCALE_OUT_TABLE = 'chronoscope_rebuild_scale_out';
export const PARTITIONS_TABLE = 'chronoscope_rebuild_partitions';

const DDL = [
  `CREATE TABLE IF NOT EXISTS ${SCALE_OUT_TABLE} (
    rebuild_id         text PRIMARY KEY,
    topic              text NOT NULL,
    group_id           text NOT NULL,
    partitions         int NOT NULL,
    published_position bigint NOT NULL DEFAULT 0,
    published_events   bigint NOT NULL DEFAULT 0,
    published_done     boolean NOT NULL DEFAULT false,
    finished           boolean NOT NULL DEFAULT false,
    updated_at         timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE IF NOT EXISTS ${PARTITIONS_TABLE} (
    rebuild_id  text NOT NULL,
    partition   int NOT NULL,
    next_offset bigint NOT NULL DEFAULT 0,
    position    bigint NOT NULL DEFAULT 0,
    events      bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (rebuild_id, partition)
  )`,
];

export interface ScaleOutRecord {
  rebuildId: string;
  topic: string;
  groupId: string;
  partitions: number;
  publishedPosition: string;
  publishedEvents: number;
  publishedDone: boolean;
  /** The shadow is complete: workers still running leave. */
  finished: boolean;
}

/**
 * Topic and group names of a new scale-out: the rebuild id and a nonce, so a
 * topic or group left on the cluster by another database's rebuild of the same
 * id is never mistaken for this one's (a resumed run reads the names back).
 */
export function replayNames(rebuildId: string, nonce = randomBytes(3).toString('hex')): { topic: string; groupId: string } {
  return { topic: `chronoscope.replay.${rebuildId}.${nonce}`, groupId: `chronoscope-rebuild-${rebuildId}-${nonce}` };
}

/** Creates the rebuild's scale-out row and one row per partition, once (a resumed run keeps them). */
export async function ensureScaleOut(pool: pg.Pool, rebuildId: string, partitions: number): Promise<ScaleOutRecord> {
  const { topic, groupId } = replayNames(rebuildId);
  return inTransaction(pool, async (client) => {
    for (const ddl of DDL) await client.query(ddl);
    await client.query(`INSERT INTO ${SCALE_OUT_TABLE} (rebuild_id, topic, group_id, partitions) VALUES ($1, $2, $3, $4) ON CONFLICT (rebuild_id) DO NOTHING`, [
      rebuildId,
      topic,
      groupId,
      partitions,
    ]);
    const record = (await readScaleOut(client, rebuildId))!;
    await client.query(
      `INSERT INTO ${PARTITIONS_TABLE} (rebuild_id, partition) SELECT $1, p FROM generate_series(0, $2::int - 1) AS p ON CONFLICT DO NOTHING`,
      [rebuildId, record.partitions],
    );
    return record;
  });
}

export async function readScaleOut(db: Queryable, rebuildId: string): Promise<ScaleOutRecord | null> {
  const exists = await db.query(`SELECT to_regclass($1) AS t`, [SCALE_OUT_TABLE]);
  if (!exists.rows[0]?.t) return null;
  const { rows } = await db.query<Record<string, unknown>>(`SELECT * FROM ${SCALE_OUT_TABLE} WHERE rebuild_id = $1`, [rebuildId]);
  const r = rows[0];
  if (!r) return null;
  return {
    rebuildId,
    topic: String(r['topic']),
    groupId: String(r['group_id']),
    partitions: Number(r['partitions']),
    publishedPosition: String(r['published_position']),
    publishedEvents: Number(r['published_events']),
    publishedDone: r['published_done'] === true,
    finished: r['finished'] === true,
  };
}

export async function recordPublished(db: Queryable, rebuildId: string, position: string, events: number, done: boolean): Promise<void> {
  await db.query(
    `UPDATE ${SCALE_OUT_TABLE} SET published_position = $2, published_events = $3, published_done = $4, updated_at = now() WHERE rebuild_id = $1`,
    [rebuildId, position, events, done],
  );
}

/** Publishing starts over on a new topic: offsets from 0 again, applied positions kept (they make the replays harmless). */
export async function restartPublishing(pool: pg.Pool, rebuildId: string): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query(
      `UPDATE ${SCALE_OUT_TABLE} SET published_position = 0, published_events = 0, published_done = false, updated_at = now() WHERE rebuild_id = $1`,
      [rebuildId],
    );
    await client.query(`UPDATE ${PARTITIONS_TABLE} SET next_offset = 0, updated_at = now() WHERE rebuild_id = $1`, [rebuildId]);
  });
}

export async function markFinished(db: Queryable, rebuildId: string): Promise<void> {
  await db.query(`UPDATE ${SCALE_OUT_TABLE} SET finished = true, updated_at = now() WHERE rebuild_id = $1`, [rebuildId]);
}

export async function readPartitions(db: Queryable, rebuildId: string): Promise<PartitionState[]> {
  const { rows } = await db.query<{ partition: number; next_offset: string; events: string }>(
    `SELECT partition, next_offset::text AS next_offset, events::text AS events FROM ${PARTITIONS_TABLE} WHERE rebuild_id = $1 ORDER BY partition`,
    [rebuildId],
  );
  return rows.map((r) => ({ partition: r.partition, nextOffset: BigInt(r.next_offset), events: Number(r.events) }));
}

export async function readMark(db: Queryable, rebuildId: string, partition: number): Promise<PartitionMark> {
  const { rows } = await db.query<{ next_offset: string; position: string }>(
    `SELECT next_offset::text AS next_offset, position::text AS position FROM ${PARTITIONS_TABLE} WHERE rebuild_id = $1 AND partition = $2`,
    [rebuildId, partition],
  );
  const r = rows[0];
  return r ? { nextOffset: BigInt(r.next_offset), position: BigInt(r.position) } : { nextOffset: 0n, position: 0n };
}

/**
 * Moves a partition's mark from `expected` to `next` inside the caller's
 * transaction, first thing (the row lock orders writers of the partition). False
 * when the stored mark is not the one this worker last saw: another member of the
 * group applied the partition meanwhile (a rebalance), so this batch must not be
 * written.
 */
export async function advanceMark(
  client: Queryable,
  rebuildId: string,
  partition: number,
  expected: PartitionMark,
  next: PartitionMark,
  events: number,
): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE ${PARTITIONS_TABLE} SET next_offset = $4, position = $5, events = events + $6, updated_at = now()
      WHERE rebuild_id = $1 AND partition = $2 AND next_offset = $3`,
    [rebuildId, partition, expected.nextOffset.toString(), next.nextOffset.toString(), next.position.toString(), events],
  );
  return rowCount === 1;
}
