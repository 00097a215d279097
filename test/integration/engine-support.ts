/**
 * What integration tests of the engine share: calling operations through the
 * dispatcher as a host would, a browser-mode engine on a data directory of its
 * own, and a PostgreSQL connection profile for a test database.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InputOf, OperationName, ResultOf } from '../../src-shared/operations';
import type { JobView } from '../../src-shared/schemas/jobs';
import { createEngine, type Engine, type EngineOptions } from '../../src-main/engine/engine';
import { failOnOutputMismatch } from '../output-contract';

export { failOnOutputMismatch };

export type Call = <N extends OperationName>(op: N, input: InputOf<N>) => Promise<ResultOf<N>>;

/** Runs operations on the engine `engine()` returns at call time (it may be replaced, e.g. restarted). */
export function engineCaller(engine: () => Engine): Call {
  return (op, input) =>
    engine().dispatcher.run(op, input, { operationId: 't', signal: new AbortController().signal, emit: () => undefined, progress: () => undefined }) as Promise<
      ResultOf<typeof op>
    >;
}

/** A browser-mode engine with a fresh data directory, logging nowhere, its answers checked against the contract. */
export async function createTestEngine(prefix: string, options: Partial<EngineOptions> = {}): Promise<Engine> {
  return createEngine({
    dataDir: await mkdtemp(join(tmpdir(), `chrono-${prefix}-`)),
    mode: 'browser',
    log: () => undefined,
    env: {},
    onOutputMismatch: failOnOutputMismatch,
    ...options,
  });
}

/** `connections.add` input for the PostgreSQL database at `url`, its password as the secret. */
export function postgresConnection(name: string, url: string): InputOf<'connections.add'> {
  const parsed = new URL(url);
  return {
    name,
    settings: {
      kind: 'postgres',
      host: parsed.hostname,
      port: Number(parsed.port),
      database: decodeURIComponent(parsed.pathname.slice(1)),
      user: decodeURIComponent(parsed.username),
    },
    secret: decodeURIComponent(parsed.password),
  };
}

/** Resolves with the job once it is done, failed, cancelled or paused (heard from the jobs service, not polled; at once if it already is). */
export function jobSettled(engine: Engine, jobId: string): Promise<JobView> {
  const final = (job: JobView) => ['done', 'failed', 'cancelled', 'paused'].includes(job.state);
  return new Promise((resolve, reject) => {
    const unsubscribe = engine.jobs.subscribe((job) => {
      if (job.id === jobId && final(job)) {
        unsubscribe();
        resolve(job);
      }
    });
    engine.jobs.get(jobId).then((job) => {
      if (final(job)) {
        unsubscribe();
        resolve(job);
      }
    }, reject);
  });
}
