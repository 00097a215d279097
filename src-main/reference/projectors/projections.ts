import type { Db } from 'mongodb';
import type pg from 'pg';
import type { StoredEvent } from '../events';
import { inTransaction } from '../../stores/postgres/transaction';
import { readMongoCheckpoint, readPostgresCheckpoint, writeMongoCheckpoint, writePostgresCheckpoint } from './checkpoints';
import type { KafkaProjection } from './kafka-projector';
import { applyToPostgresView, type PostgresViewSpec, type ViewBatchResult } from './postgres-view';
import { applyToMongoProductsView, PRODUCTS_VIEW } from './products-view';
import type { VersionedRow } from './view-reducer';

/**
 * A Postgres view fed from Kafka: the rows and the checkpoint change in one
 * transaction, so after a crash the view and its checkpoint always agree.
 */
export function postgresViewProjection<Row extends VersionedRow>(pool: pg.Pool, spec: PostgresViewSpec<Row>): KafkaProjection {
  return {
    name: spec.name,
    readCheckpoint: (source) => readPostgresCheckpoint(pool, spec.name, source),
    async apply(source: string, events: StoredEvent[], nextOffset: string): Promise<ViewBatchResult> {
      return inTransaction(pool, async (client) => {
        const result = await applyToPostgresView(client, spec, events);
        await writePostgresCheckpoint(client, spec.name, source, nextOffset);
        return result;
      });
    },
  };
}

/**
 * Mongo `products_view` fed from Kafka. No transactions on FerretDB: the view is
 * written first (version-guarded, hence idempotent), the checkpoint after; a crash
 * in between only causes a harmless re-application.
 */
export function mongoProductsProjection(db: Db): KafkaProjection {
  return {
    name: PRODUCTS_VIEW,
    readCheckpoint: (source) => readMongoCheckpoint(db, PRODUCTS_VIEW, source),
    async apply(source, events, nextOffset) {
      const result = await applyToMongoProductsView(db, events);
      await writeMongoCheckpoint(db, PRODUCTS_VIEW, source, nextOffset);
      return result;
    },
  };
}
