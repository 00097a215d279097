import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_POSTGRES_MODELS } from '../../../src-main/engine/local-workspace/reference-read-models';
import { userReadModel } from '../../../src-main/engine/definitions';
import { RebuildCancelled } from '../../../src-main/engine/rebuild/feed-fold';
import { createShadow, readRebuild } from '../../../src-main/engine/rebuild/postgres-target';
import { rebuildPostgres } from '../../../src-main/engine/rebuild/rebuild-postgres';
import { discardShadow } from '../../../src-main/engine/rebuild/swap-postgres';
import { rebuildScaleOut, spawnWorkerScript, type ScaleOutOptions } from '../../../src-main/engine/rebuild/scale-out/coordinator';
import { refuseUnlessKeyedByStream } from '../../../src-main/engine/rebuild/scale-out/keying';
import { readPartitions, readScaleOut } from '../../../src-main/engine/rebuild/scale-out/offsets-store';
import type { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { testServices } from '../env';
import { kafkaFor } from '../kafka-support';
import { createTestDatabase, type TestDatabase } from '../reference/support';
import { seedReferenceStore, tableChecksum } from './support';

let database: TestDatabase;
let store: PostgresEventStore;
const expected: Record<string, string> = {};
const kafka = () => kafkaFor(testServices.kafkaBrokers);
const accounts = REFERENCE_POSTGRES_MODELS['accounts_view']!;

beforeAll(async () => {
  database = await createTestDatabase('rebuildscale');
  store = await seedReferenceStore(database.pool, 20_000, 13);
  for (const model of ['accounts_view', 'orders_view']) {
    const whole = await rebuildPostgres({ pool: database.pool, feed: store, id: `single_${model}`, model, definition: REFERENCE_POSTGRES_MODELS[model]! });
    expected[model] = await tableChecksum(database.pool, whole.shadow, REFERENCE_POSTGRES_MODELS[model]!.keyColumn!);
  }
}, 120_000);

afterAll(async () => {
  await store?.close();
  await database?.drop();
});

/** A scale-out run of `model` with small fetches (many batches per partition, so a run can be interrupted in the middle). */
async function scaleOut(id: string, model: string, extra: Partial<ScaleOutOptions> = {}) {
  if (!(await readRebuild(database.pool, id)))
    await createShadow(database.pool, { id, schema: 'public', model, definition: REFERENCE_POSTGRES_MODELS[model]!.name });
  return rebuildScaleOut({
    pool: database.pool,
    feed: store,
    kafka: kafka(),
    workerConfig: { postgres: { connectionString: database.url }, kafka: { brokers: testServices.kafkaBrokers }, maxBytesPerPartition: 65_536 },
    id,
    definition: REFERENCE_POSTGRES_MODELS[model]!,
    workers: 2,
    pollMs: 100,
    ...extra,
  });
}

/** Lines a worker printed, as parsed reports. */
function onReports(child: ChildProcess, listener: (report: { event: string; events?: number }) => void): void {
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('{')) listener(JSON.parse(line) as { event: string });
  });
}

describe('rebuild scale-out on Kafka', () => {
  it('with 2 workers gives the shadow the single-process rebuild gives, for accounts_view and orders_view', async () => {
    for (const model of ['accounts_view', 'orders_view']) {
      const id = `two_${model.slice(0, 5)}`;
      const done = await scaleOut(id, model);
      expect(done.phase).toBe('indexed');
      expect(done.position).toBe(done.horizon);
      expect(await tableChecksum(database.pool, done.shadow, REFERENCE_POSTGRES_MODELS[model]!.keyColumn!)).toBe(expected[model]);
      // Both workers took part (Kafka spread the partitions), and the replay topic is cleaned up.
      const partitions = await readPartitions(database.pool, id);
      expect(partitions.length).toBe(4);
      expect(partitions.every((p) => p.events > 0)).toBe(true);
      const topics = await (async () => {
        const admin = kafka().admin();
        await admin.connect();
        try {
          return await admin.listTopics();
        } finally {
          await admin.disconnect();
        }
      })();
      expect(topics).not.toContain((await readScaleOut(database.pool, id))!.topic);
    }
  }, 180_000);

  it('survives kill -9 of a worker in the middle: the group restarts it and the checksum is the same', async () => {
    const spawned: ChildProcess[] = [];
    let victim: ChildProcess | undefined;
    const done = await scaleOut('killed', 'accounts_view', {
      spawnWorker: () => {
        const child = spawnWorkerScript();
        spawned.push(child);
        let batches = 0;
        // The first worker to commit its fifth batch is killed, in the middle of the run.
        onReports(child, (report) => {
          if (report.event === 'batch' && ++batches === 5 && !victim) {
            victim = child;
            child.kill('SIGKILL');
          }
        });
        return child;
      },
    });
    expect(victim?.signalCode).toBe('SIGKILL');
    expect(spawned.length).toBe(3); // the two workers and the one restarted after the kill
    expect(await tableChecksum(database.pool, done.shadow, 'account_id')).toBe(expected['accounts_view']);
  }, 180_000);

  it('resumes after a cancel from the published position and the stored offsets', async () => {
    const stop = new AbortController();
    let appliedAtCancel = 0;
    const cancelled = await scaleOut('cancelled', 'accounts_view', {
      signal: stop.signal,
      onProgress: (p) => {
        if (p.applied > 2000 && !stop.signal.aborted) {
          appliedAtCancel = p.applied;
          stop.abort();
        }
      },
    }).catch((err: unknown) => err);
    expect(cancelled).toBeInstanceOf(RebuildCancelled);
    const record = (await readRebuild(database.pool, 'cancelled'))!;
    expect(record.phase).toBe('loading');
    const partitions = await readPartitions(database.pool, 'cancelled');
    const applied = partitions.reduce((sum, p) => sum + p.events, 0);
    expect(applied).toBeGreaterThanOrEqual(appliedAtCancel);
    const scale = (await readScaleOut(database.pool, 'cancelled'))!;
    expect(scale.finished).toBe(false);

    let appliedAtResume: number | null = null;
    const resumed = await scaleOut('cancelled', 'accounts_view', { onProgress: (p) => (appliedAtResume ??= p.applied) });
    expect(appliedAtResume).toBeGreaterThanOrEqual(applied); // nothing applied twice, nothing started over
    expect(resumed.phase).toBe('indexed');
    expect(await tableChecksum(database.pool, resumed.shadow, 'account_id')).toBe(expected['accounts_view']);
    expect(resumed.events).toBe((await readPartitions(database.pool, 'cancelled')).reduce((sum, p) => sum + p.events, 0));
  }, 180_000);

  it('applies once what a publisher sent again after a crash before it recorded how far it got', async () => {
    const stop = new AbortController();
    await scaleOut('republished', 'accounts_view', { signal: stop.signal, onProgress: (p) => p.applied > 3000 && stop.abort() }).catch((err: unknown) => err);
    const sent = (await readScaleOut(database.pool, 'republished'))!;
    expect(sent.publishedEvents).toBeGreaterThan(0);
    // As if it had been killed before recording any batch: everything is published a second time.
    await database.pool.query(
      'UPDATE chronoscope_rebuild_scale_out SET published_position = 0, published_events = 0, published_done = false WHERE rebuild_id = $1',
      ['republished'],
    );
    const done = await scaleOut('republished', 'accounts_view');
    expect(await tableChecksum(database.pool, done.shadow, 'account_id')).toBe(expected['accounts_view']);
    const handled = Number((await database.pool.query<{ n: string }>(`SELECT count(*) AS n FROM events WHERE aggregate_type = 'Account'`)).rows[0]!.n);
    expect(done.events).toBe(handled); // each event applied once, though some were in the topic twice
  }, 180_000);

  it('publishes again from the start when a resumed run finds its replay topic gone, and applies nothing twice', async () => {
    const stop = new AbortController();
    // Stopped as soon as anything is published, so a loaded machine cannot finish the run (and delete its topic) first.
    const first = await scaleOut('topicgone', 'accounts_view', { signal: stop.signal, onProgress: (p) => p.published > 0 && stop.abort() }).catch(
      (err: unknown) => err,
    );
    expect((first as Error).name).toBe('AbortError');
    const admin = kafka().admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [(await readScaleOut(database.pool, 'topicgone'))!.topic] });
    } finally {
      await admin.disconnect();
    }
    const done = await scaleOut('topicgone', 'accounts_view');
    expect(await tableChecksum(database.pool, done.shadow, 'account_id')).toBe(expected['accounts_view']);
    const handled = Number((await database.pool.query<{ n: string }>(`SELECT count(*) AS n FROM events WHERE aggregate_type = 'Account'`)).rows[0]!.n);
    expect(done.events).toBe(handled);
  }, 180_000);

  it('stops with a sentence when the shadow is dropped while the workers load it', async () => {
    let dropping: Promise<void> | undefined;
    const failure = await scaleOut('dropped', 'accounts_view', {
      onProgress: (p) => void (p.applied > 0 && (dropping ??= discardShadow(database.pool, 'dropped'))),
    }).catch((err: unknown) => err);
    await dropping;
    expect((failure as Error).message).toBe('Rebuild dropped was discarded while its workers were loading it: there is nothing left to load.');
  }, 120_000);

  it('refuses a user definition whose rows are not keyed by stream, and accepts one that is', async () => {
    expect(accounts.keyedByStream).toBe(true);
    expect(REFERENCE_POSTGRES_MODELS['orders_view']!.keyedByStream).toBe(true);
    const byOwner = await userReadModel(
      'by_owner',
      `definition = { name: 'by_owner', handles: { categories: ['Account'] }, key: (e) => e.type === 'AccountOpened' ? e.data.ownerId : null, apply: (row, e) => ({ owner: e.data.ownerId }) };`,
    );
    await expect(refuseUnlessKeyedByStream(byOwner, store)).rejects.toThrow(
      /by_owner cannot be scaled out on Kafka: it writes row ".+" from events of stream .+ keyed by the stream id/,
    );
    const byStream = await userReadModel(
      'by_stream',
      `definition = { name: 'by_stream', handles: { categories: ['Account'] }, key: (e) => e.streamId, apply: (row, e) => ({ n: 1 }) };`,
    );
    await expect(refuseUnlessKeyedByStream(byStream, store)).resolves.toBeUndefined();
  }, 60_000);
});
