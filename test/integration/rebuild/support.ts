/** A reference store in a scratch database, its views projected by the reference projector, for rebuild tests. */
import { createHash } from 'node:crypto';
import type { Db } from 'mongodb';
import type pg from 'pg';
import type { DomainEvent } from '../../../src-main/reference/events';
import { copyBatches } from '../../../src-main/reference/generator/copy-source';
import { generateEvents } from '../../../src-main/reference/generator/generate';
import { writeToPostgres } from '../../../src-main/reference/generator/write-postgres';
import { ensureReferenceSchema } from '../../../src-main/reference/postgres/schema';
import { accountsViewSpec } from '../../../src-main/reference/projectors/accounts-view';
import { DirectProjector } from '../../../src-main/reference/projectors/direct-projector';
import { ordersViewSpec } from '../../../src-main/reference/projectors/orders-view';
import { applyToMongoProductsView, productsViewSpec } from '../../../src-main/reference/projectors/products-view';
import { MongoEventStore, REFERENCE_MONGO_MAPPING } from '../../../src-main/stores/mongo/mongo-event-store';
import { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { classicPreset } from '../../../src-main/stores/presets/classic';
import { presetRecord } from '../../../src-main/stores/presets';
import type { CheckpointStore } from '../../../src-main/stores/ports/checkpoint-store';
import { openCheckpoints } from '../../../src-main/stores/ports/open-companions';
import { qualifiedName, quoteIdent } from '../../../src-main/stores/postgres/mapping';

export const PROJECTOR = 'rebuild-test-projector';

/** The reference system's checkpoints (`projection_checkpoints`, or Mongo `checkpoints`) through the CheckpointStore port, as swaps take them. */
export function referenceCheckpoints(client: pg.Pool | Db): Promise<CheckpointStore> {
  return openCheckpoints(presetRecord(typeof (client as pg.Pool).query === 'function' ? 'classic' : 'reference-mongo')!, client);
}

export function referenceProjector(pool: pg.Pool): DirectProjector {
  return new DirectProjector(pool, { name: PROJECTOR, views: [accountsViewSpec, ordersViewSpec, productsViewSpec], batchSize: 5000, gapSettleMs: 10 });
}

/** Writes `events` generated reference events and projects them with the reference projector. */
export async function seedReferenceStore(pool: pg.Pool, events: number, seed = 7, method: 'copy' | 'insert' = 'copy'): Promise<PostgresEventStore> {
  await ensureReferenceSchema(pool);
  if (method === 'copy') await writeToPostgres(pool, copyBatches({ events, seed }, { worker: false }), { total: events, method });
  else await writeToPostgres(pool, generateEvents({ events, seed }), { total: events, method }); // PGlite's socket takes no COPY
  await referenceProjector(pool).catchUp();
  return PostgresEventStore.open(pool, classicPreset.mapping());
}

/** A checksum of a whole table, in key order. */
export async function tableChecksum(pool: pg.Pool, table: string, key: string): Promise<string> {
  const { rows } = await pool.query<{ r: unknown }>(`SELECT to_jsonb(t) AS r FROM ${qualifiedName('public', table)} t ORDER BY ${quoteIdent(key)}`);
  const hash = createHash('sha256');
  for (const row of rows) hash.update(JSON.stringify(row.r));
  return `${rows.length}:${hash.digest('hex').slice(0, 16)}`;
}

/** Projects the reference products_view on Mongo from the whole feed, as the reference worker would; returns the store it read. */
export async function projectMongoProductsView(db: Db): Promise<MongoEventStore> {
  const store = new MongoEventStore(db, REFERENCE_MONGO_MAPPING);
  for (let after: string | undefined; ;) {
    const page = await store.readFeed({ limit: 1000, ...(after ? { afterPosition: after } : {}) });
    await applyToMongoProductsView(
      db,
      page.events.map(
        (e) =>
          ({
            eventId: e.eventId ?? '',
            type: e.type,
            aggregateId: e.streamId,
            aggregateType: e.category,
            version: e.version,
            timestamp: e.timestamp,
            data: e.data,
            metadata: e.metadata,
          }) as DomainEvent,
      ),
    );
    if (!page.nextAfterPosition) return store;
    after = page.nextAfterPosition;
  }
}
