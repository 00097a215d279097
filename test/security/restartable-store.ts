/**
 * What attack tests that restart the engine share: a PostgreSQL test database, a
 * browser-mode engine on a data directory that outlives restarts, and a read-write
 * profile of the database whose password a restarted engine reads from the environment
 * (browser mode keeps secrets in memory only).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { createEngine, type Engine } from '../../src-main/engine/engine';
import { secretEnvName } from '../../src-main/engine/connections/secret-store';
import { engineCaller, failOnOutputMismatch, postgresConnection, type Call } from '../integration/engine-support';
import { createTestDatabase, type TestDatabase } from '../integration/reference/support';

export interface RestartableStore {
  db: TestDatabase;
  dataDir: string;
  connectionId: string;
  /** The engine running now (replaced by `restart`). */
  engine(): Engine;
  call: Call;
  /** Stops the engine as a quit would and starts a new one on the same data directory. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function restartableStore(prefix: string, seed: (pool: pg.Pool) => Promise<void>): Promise<RestartableStore> {
  const db = await createTestDatabase(prefix);
  await seed(db.pool);
  const dataDir = await mkdtemp(join(tmpdir(), `chrono-${prefix}-`));
  let env: NodeJS.ProcessEnv = {};
  const start = () =>
    createEngine({ dataDir, mode: 'browser', log: () => undefined, onOutputMismatch: failOnOutputMismatch, env, sampleLags: false, sampleKafkaLag: false });
  let engine = start();
  const call = engineCaller(() => engine);
  const connection = { ...postgresConnection(`${prefix} store`, db.url), readOnly: false };
  const connectionId = (await call('connections.add', connection)).id;
  env = { [secretEnvName(connectionId)]: connection.secret };
  await call('stores.configure', { connectionId, preset: 'classic' });
  return {
    db,
    dataDir,
    connectionId,
    engine: () => engine,
    call,
    async restart() {
      await engine.dispose();
      engine = start();
    },
    async close() {
      await engine.dispose();
      await db.drop();
    },
  };
}
