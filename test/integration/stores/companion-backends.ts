/** Fresh databases of each backend for the companion-port contracts. */
import { createPgliteDatabase, createTestDatabase, createTestMongo } from '../reference/support';
import type { CheckpointBackend, FixtureClient } from './checkpoint-fixtures';

export interface FixtureDatabase {
  client: FixtureClient;
  drop(): Promise<void>;
}

export async function createFixtureDatabase(backend: CheckpointBackend, prefix: string): Promise<FixtureDatabase> {
  if (backend === 'FerretDB') {
    const mongo = await createTestMongo(prefix);
    return { client: { kind: 'mongo', db: mongo.db }, drop: () => mongo.drop() };
  }
  const db = backend === 'PGlite' ? await createPgliteDatabase() : await createTestDatabase(prefix);
  return { client: { kind: 'postgres', pool: db.pool, url: db.url }, drop: () => db.drop() };
}
