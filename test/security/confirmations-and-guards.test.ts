/**
 * Attacks on the guards of destructive operations, through the dispatcher as a
 * browser-mode client with a valid token would make them, on real PostgreSQL and Kafka:
 * a confirmation replayed, a plan that grew under its confirmation, a paused job
 * resumed through a profile made read-only, a secret typed into a reason.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Admin, Producer } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src-main/engine/engine';
import { ReferencePostgresStore } from '../../src-main/reference/postgres/event-store';
import { ensureReferenceSchema } from '../../src-main/reference/postgres/schema';
import { jobSettled, postgresConnection, type Call } from '../integration/engine-support';
import { seedAccounts } from '../integration/engine/snapshot-support';
import { closeKafkaEngine, createTopic, openKafkaEngine, produce, testBrokers, uniqueName } from '../integration/kafka-support';
import { restartableStore, type RestartableStore } from './restartable-store';

const snapshotCount = async (pool: pg.Pool, where = 'true') =>
  Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM snapshots WHERE ${where}`)).rows[0]!.n);

describe.each(testBrokers())('a Kafka offset reset confirmation against $name', ({ brokers }) => {
  let engine: Engine;
  let call: Call;
  let connectionId: string;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    ({ engine, call, connectionId, admin, producer } = await openKafkaEngine('attack-kafka', brokers, { readOnly: false }));
  });

  afterAll(() => closeKafkaEngine({ engine, admin, producer }));

  const committed = async (groupId: string, topic: string) => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.map((p) => p.offset);

  it('is used once: replaying the confirmation of "100 → 90" is refused and the group stays at 90', async () => {
    const topic = uniqueName('replay-topic');
    const groupId = uniqueName('replay-group');
    await createTopic(admin, topic, 1);
    await produce(producer, topic, 0, 120);
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '100' }] });
    const input = { connectionId, groupId, strategy: { kind: 'shift' as const, by: -10 }, scope: { kind: 'topic' as const, topic }, reason: 'replay attack' };
    const dry = await call('kafka.resetOffsets', { ...input, dryRun: true });
    expect(dry.plan).toMatchObject([{ current: '100', next: '90' }]);
    await call('kafka.resetOffsets', { ...input, confirmation: dry.confirmation! });
    expect(await committed(groupId, topic)).toEqual(['90']);
    for (let i = 0; i < 2; i++) {
      await expect(call('kafka.resetOffsets', { ...input, confirmation: dry.confirmation! })).rejects.toMatchObject({
        code: 'confirmation_required',
        message: expect.stringContaining('already used'),
      });
    }
    expect(await committed(groupId, topic)).toEqual(['90']);
  });

  it('applies the offsets shown even when the end moved since, and refuses when the group moved', async () => {
    const topic = uniqueName('moving-topic');
    const groupId = uniqueName('moving-group');
    await createTopic(admin, topic, 1);
    await produce(producer, topic, 0, 50);
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '10' }] });
    const input = { connectionId, groupId, strategy: { kind: 'latest' as const }, scope: { kind: 'topic' as const, topic } };
    const dry = await call('kafka.resetOffsets', { ...input, dryRun: true });
    expect(dry.plan).toMatchObject([{ current: '10', next: '50' }]);
    await produce(producer, topic, 0, 25); // the end moves to 75 after the preview
    const real = await call('kafka.resetOffsets', { ...input, confirmation: dry.confirmation!, reason: 'OPS-1' });
    expect(real.plan).toMatchObject([{ next: '50' }]);
    expect(await committed(groupId, topic)).toEqual(['50']);

    const again = await call('kafka.resetOffsets', { ...input, strategy: { kind: 'earliest' }, dryRun: true });
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '60' }] }); // someone else moved the group
    await expect(
      call('kafka.resetOffsets', { ...input, strategy: { kind: 'earliest' }, confirmation: again.confirmation!, reason: 'OPS-1' }),
    ).rejects.toMatchObject({
      code: 'plan_changed',
      message: expect.stringMatching(/Nothing was changed.*current: 50 → 60/),
    });
    expect(await committed(groupId, topic)).toEqual(['60']);
  });
});

describe('snapshot changes and jobs on PostgreSQL', () => {
  let store: RestartableStore;
  let connectionId: string;
  const call: Call = (op, input) => store.call(op, input);

  beforeAll(async () => {
    store = await restartableStore('attack_snapshots', async (pool) => {
      await ensureReferenceSchema(pool);
      await seedAccounts(new ReferencePostgresStore(pool), ['acc-1', 'acc-2', 'acc-3', 'acc-4', 'acc-5'], 21);
    });
    connectionId = store.connectionId;
  }, 180_000);

  afterAll(() => store?.close());

  it('refuses a delete whose selection grew after the preview: the token names 10 snapshots, never 510', async () => {
    const selection = { kind: 'filter' as const, filter: { streamPrefix: 'bulk-' } };
    for (let i = 0; i < 10; i++)
      await store.db.pool.query(`INSERT INTO snapshots (aggregate_id, aggregate_type, version, state) VALUES ($1, 'Account', 1, '{}')`, [
        `bulk-${String(i).padStart(3, '0')}`,
      ]);
    const dry = await call('snapshots.delete', { connectionId, selection, dryRun: true, reason: 'clean up' });
    expect(dry.count).toBe(10);
    for (let i = 10; i < 510; i++)
      await store.db.pool.query(`INSERT INTO snapshots (aggregate_id, aggregate_type, version, state) VALUES ($1, 'Account', 1, '{}')`, [
        `bulk-${String(i).padStart(3, '0')}`,
      ]);
    await expect(call('snapshots.delete', { connectionId, selection, confirmation: dry.confirmation!, reason: 'clean up' })).rejects.toMatchObject({
      code: 'plan_changed',
      message: expect.stringMatching(/count: 10 → 510/),
    });
    expect(await snapshotCount(store.db.pool, `aggregate_id LIKE 'bulk-%'`)).toBe(510);
    const refused = (await call('audit.list', { operation: 'snapshots.delete', dryRun: false })).records[0];
    expect(refused).toMatchObject({ outcome: 'refused', errorCode: 'plan_changed' });
  });

  it('refuses to resume a paused delete job through a profile made read-only, also after a restart', async () => {
    const selection = { kind: 'filter' as const, filter: { streamPrefix: 'bulk-' } };
    const before = await snapshotCount(store.db.pool, `aggregate_id LIKE 'bulk-%'`);
    expect(before).toBeGreaterThan(200);
    const dry = await call('snapshots.delete', { connectionId, selection, dryRun: true });
    // Hold the table against writes (reads go on) so the job cannot get far: it stays running until the engine stops, and comes back paused.
    const blocker = new pg.Client({ connectionString: store.db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE snapshots IN SHARE MODE');
    const { jobId } = await call('snapshots.delete', { connectionId, selection, confirmation: dry.confirmation!, reason: 'OPS-1' });
    expect(jobId).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const restarting = store.restart();
    await blocker.query('ROLLBACK');
    await blocker.end();
    await restarting;

    const paused = (await call('jobs.list', {})).jobs.find((j) => j.id === jobId)!;
    expect(paused.state).toBe('paused');
    const remaining = await snapshotCount(store.db.pool, `aggregate_id LIKE 'bulk-%'`);
    await call('connections.update', { id: connectionId, readOnly: true, reason: 'freeze production' });
    await expect(call('jobs.resume', { id: jobId! })).rejects.toMatchObject({ code: 'read_only' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await snapshotCount(store.db.pool, `aggregate_id LIKE 'bulk-%'`)).toBe(remaining);
    expect((await call('jobs.list', {})).jobs.find((j) => j.id === jobId)!.state).toBe('paused');

    // Made writable again, the same job resumes and finishes.
    await call('connections.update', { id: connectionId, readOnly: false });
    await call('jobs.resume', { id: jobId! });
    expect((await jobSettled(store.engine(), jobId!)).state).toBe('done');
    expect(await snapshotCount(store.db.pool, `aggregate_id LIKE 'bulk-%'`)).toBe(0);
  });

  it('never writes a stored secret typed into a reason to the audit log', async () => {
    const secret = 'Zq9-unique-Pa55-7731';
    const other = await call('connections.add', { ...postgresConnection('another store', store.db.url), secret });
    await call('connections.update', { id: other.id, name: 'renamed store', reason: `password is ${secret}, do not tell` });
    const text = await readFile(join(store.dataDir, 'audit', 'audit.jsonl'), 'utf8');
    expect(text).toContain('do not tell');
    expect(text).not.toContain(secret);
    expect(JSON.stringify(await call('audit.list', { text: 'do not tell' }))).toContain('[secret]');
  });
});
