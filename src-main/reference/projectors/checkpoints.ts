import type { Db } from 'mongodb';
import type pg from 'pg';

type Queryable = Pick<pg.Pool | pg.PoolClient | pg.Client, 'query'>;

/** Checkpoint source of a projector reading the store's global order. */
export const EVENTS_SOURCE = 'events';

/** Checkpoint source of a Kafka consumer for one partition; its position is the next offset to read. */
export function kafkaSource(topic: string, partition: number): string {
  return `kafka:${topic}:${partition}`;
}

/** Postgres `projection_checkpoints`: positions are bigint, returned as strings (64-bit safe). */
export async function readPostgresCheckpoint(db: Queryable, projection: string, source: string): Promise<string | null> {
  const { rows } = await db.query<{ position: string }>('SELECT position FROM projection_checkpoints WHERE projection_name = $1 AND source = $2', [
    projection,
    source,
  ]);
  return rows[0]?.position ?? null;
}

/** Moves a checkpoint forward only: a late or replayed write never takes it back. */
export async function writePostgresCheckpoint(db: Queryable, projection: string, source: string, position: string): Promise<void> {
  await db.query(
    `INSERT INTO projection_checkpoints (projection_name, source, position, updated_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (projection_name, source) DO UPDATE SET position = EXCLUDED.position, updated_at = now()
     WHERE projection_checkpoints.position < EXCLUDED.position`,
    [projection, source, position],
  );
}

interface MongoCheckpoint {
  _id: string;
  projection: string;
  source: string;
  position: string;
  updatedAt: Date;
}

/** Mongo `checkpoints` collection, one document per (projection, source). */
export async function readMongoCheckpoint(db: Db, projection: string, source: string): Promise<string | null> {
  const doc = await db.collection<MongoCheckpoint>('checkpoints').findOne({ _id: `${projection}|${source}` });
  return doc?.position ?? null;
}

export async function writeMongoCheckpoint(db: Db, projection: string, source: string, position: string): Promise<void> {
  await db
    .collection<MongoCheckpoint>('checkpoints')
    .updateOne({ _id: `${projection}|${source}` }, { $set: { projection, source, position, updatedAt: new Date() } }, { upsert: true });
}
