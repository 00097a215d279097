import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../../src-main/engine/engine';
import { clearPersonalKeys } from '../../../src-main/engine/compliance/pg-subject-data';
import { isSealedField } from '../../../src-main/engine/personal-data/sealed-fields';
import { seedDemoWorkspace } from '../../../src-main/reference/demo/seed-demo';
import { createKafka } from '../../../src-main/reference/kafka/client';
import { engineCaller, failOnOutputMismatch, postgresConnection, type Call, jobSettled } from '../engine-support';
import { secretEnvName } from '../../../src-main/engine/connections/secret-store';
import { createTestDatabase, createTestMongo, eventually, randomSuffix, type TestDatabase, type TestMongo } from '../reference/support';
import { testServices } from '../env';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

interface ReadMessage {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  timestamp: number;
}

/** Every message of the topic up to its current end, read with a throwaway group. */
async function readTopic(kafka: Kafka, topic: string): Promise<ReadMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = (await admin.fetchTopicOffsets(topic)).filter((o) => BigInt(o.high) > BigInt(o.low));
  const groupId = `test-read-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  const out: ReadMessage[] = [];
  try {
    if (ends.length === 0) return out;
    const open = new Set(ends.map((e) => e.partition));
    const high = new Map(ends.map((e) => [e.partition, BigInt(e.high)]));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            if (!open.has(partition)) return;
            out.push({
              partition,
              offset: message.offset,
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? null,
              timestamp: Number(message.timestamp),
            });
            if (BigInt(message.offset) + 1n >= high.get(partition)!) open.delete(partition);
            if (open.size === 0) resolve();
          },
        })
        .catch(reject);
    });
    return out;
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

async function endOffsets(kafka: Kafka, topic: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return JSON.stringify((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.high]));
  } finally {
    await admin.disconnect();
  }
}

describe('erasure actions: tombstones for compacted topics, regenerated snapshots (PostgreSQL + Kafka)', () => {
  let db: TestDatabase;
  let engine: Engine;
  let call: Call;
  let kafka: Kafka;
  let connectionId: string;
  let kafkaId: string;
  let subject: string;
  let other: string;
  let customerVersion: number;
  let dataDir: string;
  const compacted = `compl_compacted_${randomSuffix()}`;
  const plain = `compl_plain_${randomSuffix()}`;
  const retentionMs = 3 * 24 * 3_600_000;
  const segmentMs = 24 * 3_600_000;

  beforeAll(async () => {
    db = await createTestDatabase('complact');
    await seedDemoWorkspace(db.pool, { events: 3_000, seed: 5 });
    const { rows } = await db.pool.query<{ id: string }>(
      `SELECT a.owner_id AS id FROM accounts_view a WHERE EXISTS (SELECT 1 FROM events e WHERE e.aggregate_id = a.owner_id AND e.event_type = 'CustomerRegistered') ORDER BY a.owner_id LIMIT 2`,
    );
    subject = rows[0]!.id;
    other = rows[1]!.id;
    // Snapshots as an application that snapshots decrypted state would take them: the customers' personal data in clear, and their accounts.
    const { rows: versions } = await db.pool.query<{ aggregate_id: string; v: number }>(
      `SELECT aggregate_id, max(event_version) AS v FROM events WHERE aggregate_id = ANY($1) GROUP BY aggregate_id`,
      [[subject, other]],
    );
    customerVersion = versions.find((v) => v.aggregate_id === subject)!.v;
    for (const { aggregate_id: id, v } of versions) {
      await db.pool.query(`INSERT INTO snapshots (aggregate_id, aggregate_type, version, state) VALUES ($1, 'Customer', $2, $3)`, [
        id,
        v,
        JSON.stringify({
          status: 'registered',
          firstName: 'Clara',
          lastName: `Clear-${id.slice(0, 6)}`,
          email: `${id}@mail.example`,
          address: '1 Clear Street',
        }),
      ]);
    }
    await db.pool.query(
      `INSERT INTO snapshots (aggregate_id, aggregate_type, version, state)
       SELECT account_id, 'Account', version, jsonb_build_object('status', status, 'ownerId', owner_id, 'currency', currency, 'balanceCents', balance_cents) FROM accounts_view WHERE owner_id = ANY($1)`,
      [[subject, other]],
    );

    kafka = createKafka({ brokers: testServices.kafkaBrokers, quiet: true });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: compacted, numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
        {
          topic: plain,
          numPartitions: 2,
          replicationFactor: 1,
          configEntries: [
            { name: 'retention.ms', value: String(retentionMs) },
            { name: 'segment.ms', value: String(segmentMs) },
          ],
        },
      ],
    });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    // The customer's profile copies keyed by customer id (three versions of the subject, two of the other), plus an order keyed by its own id naming the
    // subject in its value.
    await producer.send({
      topic: compacted,
      messages: [
        ...[1, 2, 3].map((n) => ({ key: subject, value: JSON.stringify({ customerId: subject, email: `${subject}@mail.example`, n }) })),
        ...[1, 2].map((n) => ({ key: other, value: JSON.stringify({ customerId: other, n }) })),
        { key: `order-${randomSuffix()}`, value: JSON.stringify({ note: `placed for ${subject}` }) },
      ],
    });
    await producer.send({ topic: plain, messages: [1, 2].map((n) => ({ key: subject, value: JSON.stringify({ customerId: subject, n }) })) });
    await producer.disconnect();

    dataDir = await mkdtemp(join(tmpdir(), 'chrono-complact-'));
    engine = createEngine({ dataDir, mode: 'browser', log: () => undefined, env: {}, onOutputMismatch: failOnOutputMismatch });
    call = engineCaller(() => engine);
    connectionId = (await call('connections.add', { ...postgresConnection('Reference', db.url), readOnly: false })).id;
    // Regeneration replays through the store's preset.
    await call('stores.configure', { connectionId, preset: 'classic' });
    kafkaId = (
      await call('connections.add', { name: 'Kafka', settings: { kind: 'kafka', brokers: testServices.kafkaBrokers, connectTimeoutMs: 3000 }, readOnly: true })
    ).id;
    const { connectionId: _c, confirmedAt: _t, ...map } = await call('compliance.proposeMap', { connectionId });
    await call('compliance.saveMap', { connectionId, map });
  }, 120_000);

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('shreds, regenerates the snapshots and tombstones the compacted topic; the plain topic gets its retention date', async () => {
    const otherSnapshots = async () =>
      (await db.pool.query(`SELECT aggregate_id, version, state::text FROM snapshots WHERE aggregate_id = $1 OR state->>'ownerId' = $1 ORDER BY 1, 2`, [other]))
        .rows;
    const othersBefore = await otherSnapshots();
    const opened = await call('compliance.createCase', {
      connectionId,
      subject: { by: 'id', value: subject },
      ticket: 'DPO-40',
      requester: 'Dana Requester',
      reason: 'GDPR art. 17 request',
    });
    await jobSettled(
      engine,
      (
        await call('compliance.search', {
          caseId: opened.id,
          connectionId,
          includeMentions: false,
          kafka: { connectionId: kafkaId, topics: [compacted, plain] },
        })
      ).jobId,
    );
    const inventory = (await call('compliance.getCase', { caseId: opened.id })).inventory!;
    const plainMessages = (await readTopic(kafka, plain)).filter((m) => m.key === subject);
    const newest = Math.max(...plainMessages.map((m) => m.timestamp));
    // Not compacted: where the copies remain and the dates retention removes them (from newest + retention.ms, at the latest once the segment rolled).
    expect(inventory.locations.find((l) => l.location === `topic ${plain}`)!.note).toContain(
      `retention removes the newest copy from ${new Date(newest + retentionMs).toISOString()}, at the latest by ${new Date(newest + retentionMs + segmentMs).toISOString()}`,
    );
    expect(inventory.locations.find((l) => l.location === `topic ${compacted}`)!.note).toMatch(/compacted/);

    // Delete and regenerate are exclusive.
    await expect(
      call('compliance.erase', { caseId: opened.id, connectionId, actions: ['deleteSnapshots', 'regenerateSnapshots'], dryRun: true }),
    ).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringContaining('not both') });

    const actions = ['shred', 'regenerateSnapshots', 'tombstoneTopics'] as const;
    const offsetsBefore = await endOffsets(kafka, compacted);
    const snapshotsBefore = (await db.pool.query(`SELECT aggregate_id, version, state::text FROM snapshots ORDER BY 1, 2`)).rows;
    const dry = await call('compliance.erase', { caseId: opened.id, connectionId, actions: [...actions], dryRun: true });
    const subjectMessages = (await readTopic(kafka, compacted)).filter((m) => m.key === subject);
    const partitions = [...new Set(subjectMessages.map((m) => m.partition))];
    expect(partitions).toHaveLength(1);
    const tombstones = dry.previews!.find((p) => p.action === 'tombstoneTopics')!;
    // One distinct key, on the partition its copies are on, named by its hash only.
    expect(tombstones.tombstones).toEqual([{ topic: compacted, partition: partitions[0], keySha256: sha(subject), messages: 3 }]);
    expect(JSON.stringify(tombstones.tombstones)).not.toContain(subject);
    expect(tombstones.summary).toMatch(/1 message\(s\) of .* name the subject only in their value or headers/);
    expect(tombstones.retained).toEqual([expect.objectContaining({ topic: plain, messages: 2, removedFrom: new Date(newest + retentionMs).toISOString() })]);
    const regeneration = dry.previews!.find((p) => p.action === 'regenerateSnapshots')!;
    expect(regeneration.refused).toBeUndefined();
    expect(regeneration.affected).toBe(1 + (await db.pool.query(`SELECT 1 FROM snapshots WHERE state->>'ownerId' = $1`, [subject])).rowCount!);
    // The dry run wrote nothing.
    expect(await endOffsets(kafka, compacted)).toBe(offsetsBefore);
    expect((await db.pool.query(`SELECT aggregate_id, version, state::text FROM snapshots ORDER BY 1, 2`)).rows).toEqual(snapshotsBefore);

    // Tombstones write to the Kafka connection: refused while its profile is read-only.
    await expect(
      call('compliance.erase', { caseId: opened.id, connectionId, actions: [...actions], confirmation: dry.confirmation, reason: 'DPO-40' }),
    ).rejects.toMatchObject({ code: 'read_only' });
    await call('connections.update', { id: kafkaId, readOnly: false });
    // That refusal used the confirmation up: each authorises one run.
    const writable = await call('compliance.erase', { caseId: opened.id, connectionId, actions: [...actions], dryRun: true });
    const run = await call('compliance.erase', {
      caseId: opened.id,
      connectionId,
      actions: [...actions],
      confirmation: writable.confirmation,
      reason: 'DPO-40',
    });
    expect((await jobSettled(engine, run.jobId!)).state).toBe('done');

    // One tombstone, for the subject's key, on the partition of its copies; nothing for the other keys.
    const after = await readTopic(kafka, compacted);
    const nulls = after.filter((m) => m.value === null);
    expect(nulls.map((m) => [m.key, m.partition])).toEqual([[subject, partitions[0]]]);

    // The regenerated customer snapshot: the replay of shredded events, in the store's jsonb, nothing in clear and nothing that decrypts.
    const { rows: customer } = await db.pool.query<{ state: Record<string, unknown> }>(`SELECT state FROM snapshots WHERE aggregate_id = $1 AND version = $2`, [
      subject,
      customerVersion,
    ]);
    expect(customer[0]!.state.status).toBe('registered');
    expect(isSealedField(customer[0]!.state.email)).toBe(true);
    expect(clearPersonalKeys(customer[0]!.state)).toEqual([]);
    expect(JSON.stringify(customer[0]!.state)).not.toContain('@mail.example');
    // The account snapshots were regenerated too (they carry the owner's id, a pseudonym, and no personal data).
    const { rows: accounts } = await db.pool.query<{ state: Record<string, unknown> }>(`SELECT state FROM snapshots WHERE state->>'ownerId' = $1`, [subject]);
    expect(accounts.length).toBeGreaterThan(0);
    expect(await otherSnapshots()).toEqual(othersBefore);

    const done = await call('compliance.getCase', { caseId: opened.id });
    expect(done.outcomes!.find((o) => o.action === 'regenerateSnapshots')).toMatchObject({
      affected: 1 + accounts.length,
      summary: expect.stringMatching(/^Regenerated \d+ snapshot\(s\)/),
    });
    expect(done.outcomes!.find((o) => o.action === 'tombstoneTopics')).toMatchObject({ affected: 1 });
    expect(done.verification!.ok).toBe(true);
    expect(done.verification!.checks).toEqual(
      expect.arrayContaining([
        { location: `topic ${compacted} (tombstones)`, ok: true, detail: expect.stringMatching(/^1 of 1 key\(s\)/) },
        expect.objectContaining({ location: 'snapshots', ok: true }),
      ]),
    );
    expect(done.verification!.inClear.filter((c) => c.location === 'snapshots')).toEqual([]);

    // The report names the tombstones by hash and the retained topic by date, never the subject.
    const report = await call('compliance.report', { caseId: opened.id });
    const json = await readFile(report.json, 'utf8');
    expect(json).not.toContain(subject);
    const parsed = JSON.parse(json) as {
      kafka: { tombstones: { topic: string; partition: number; keySha256: string }[]; retained: { topic: string; removedFrom: string }[] };
    };
    expect(parsed.kafka.tombstones).toEqual([expect.objectContaining({ topic: compacted, partition: partitions[0], keySha256: sha(subject) })]);
    expect(parsed.kafka.retained).toEqual([expect.objectContaining({ topic: plain, removedFrom: new Date(newest + retentionMs).toISOString() })]);
    expect(await readFile(report.html, 'utf8')).toContain('Copies left to retention');

    // Rerun: nothing left to send, even when the record of what was sent is lost (a crash between send and record).
    await rm(join(dataDir, 'compliance', 'cases', `${opened.id}.tombstones.jsonl`), { force: true });
    const again = await call('compliance.erase', { caseId: opened.id, connectionId, actions: ['tombstoneTopics'], dryRun: true });
    expect(again.previews![0]).toMatchObject({ affected: 0, tombstones: [] });
    expect(again.previews![0]!.summary).toMatch(/1 key\(s\) already end in a tombstone/);
    const offsetsAfter = await endOffsets(kafka, compacted);
    const rerun = await call('compliance.erase', {
      caseId: opened.id,
      connectionId,
      actions: ['tombstoneTopics'],
      confirmation: again.confirmation,
      reason: 'OPS-1',
    });
    expect((await jobSettled(engine, rerun.jobId!)).state).toBe('done');
    expect(await endOffsets(kafka, compacted)).toBe(offsetsAfter);
  }, 180_000);

  it('resumes a regeneration after kill -9: the batches done are not rewritten, the rest are, nothing else touched', async () => {
    // The other customer and its accounts snapshotted at every version, so the regeneration takes several batches (of 2).
    await db.pool.query(
      `INSERT INTO snapshots (aggregate_id, aggregate_type, version, state)
       SELECT e.aggregate_id, e.aggregate_type, e.event_version, '{"stale":true}'::jsonb FROM events e
       WHERE e.aggregate_id = $1 OR e.aggregate_id IN (SELECT account_id FROM accounts_view WHERE owner_id = $1) ON CONFLICT DO NOTHING`,
      [other],
    );
    const { rows: keys } = await db.pool.query<{ aggregate_id: string; version: number }>(
      `SELECT aggregate_id, version FROM snapshots WHERE aggregate_id = $1 OR state->>'ownerId' = $1 OR state->>'stale' = 'true' ORDER BY aggregate_id COLLATE "C", version`,
      [other],
    );
    expect(keys.length).toBeGreaterThanOrEqual(3);
    const unrelated = async () =>
      (
        await db.pool.query(`SELECT aggregate_id, version, state::text, taken_at FROM snapshots WHERE NOT (aggregate_id = ANY($1)) ORDER BY 1, 2`, [
          [...new Set(keys.map((k) => k.aggregate_id))],
        ])
      ).rows;
    const unrelatedBefore = await unrelated();
    await db.pool.query(`UPDATE snapshots SET state = state || '{"ownerId":"${other}"}'::jsonb WHERE state->>'stale' = 'true'`);
    const opened = await call('compliance.createCase', {
      connectionId,
      subject: { by: 'id', value: other },
      ticket: 'DPO-41',
      requester: 'Dana Requester',
      reason: 'erasure',
    });
    await jobSettled(engine, (await call('compliance.search', { caseId: opened.id, connectionId, includeMentions: false })).jobId);
    await engine.dispose();

    // The third snapshot is locked: the child regenerates the first batch (two), then waits on the second and is killed there.
    const locked = keys[2]!;
    const stateOf = async (key: { aggregate_id: string; version: number }) =>
      (await db.pool.query<{ s: string }>('SELECT state::text AS s FROM snapshots WHERE aggregate_id = $1 AND version = $2', [key.aggregate_id, key.version]))
        .rows[0]!.s;
    const lockedBefore = await stateOf(locked);
    const secretEnv = { [secretEnvName(connectionId)]: decodeURIComponent(new URL(db.url).password) };
    const blocker = await db.pool.connect();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/integration/engine/fixtures/compliance-erase-child.ts', dataDir, opened.id, connectionId, 'regenerateSnapshots'],
      {
        cwd: process.cwd(),
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...secretEnv, CHRONOSCOPE_SNAPSHOT_ERASURE_BATCH: '2' },
      },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let firstBatch: unknown[];
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM snapshots WHERE aggregate_id = $1 AND version = $2 FOR UPDATE', [locked.aggregate_id, locked.version]);
      await eventually(
        async () => {
          if (child.exitCode !== null) throw new Error(`child exited: ${stderr}`);
          const { rows: waiting } = await db.pool.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE %snapshots%'`);
          return waiting.length > 0;
        },
        60_000,
        'the child to wait on the locked snapshot',
      );
      const { rows: done } = await db.pool.query(
        `SELECT aggregate_id, version, state::text, taken_at FROM snapshots WHERE (aggregate_id, version) IN (($1, $2), ($3, $4)) ORDER BY aggregate_id COLLATE "C", version`,
        [keys[0]!.aggregate_id, keys[0]!.version, keys[1]!.aggregate_id, keys[1]!.version],
      );
      firstBatch = done;
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      await db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE %snapshots%'`);
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    // The locked snapshot was not rewritten before the kill.
    expect(await stateOf(locked)).toBe(lockedBefore);

    engine = createEngine({
      dataDir,
      mode: 'browser',
      log: () => undefined,
      env: { ...secretEnv, CHRONOSCOPE_SNAPSHOT_ERASURE_BATCH: '2' },
      onOutputMismatch: failOnOutputMismatch,
    });
    const paused = (await engine.jobs.list()).find((j) => j.kind === 'compliance.erase' && j.state === 'paused')!;
    await call('jobs.resume', { id: paused.id });
    expect((await jobSettled(engine, paused.id)).state).toBe('done');
    // Every snapshot is the replay's state now; the first batch kept the time of its one rewrite.
    expect((await db.pool.query(`SELECT 1 FROM snapshots WHERE state->>'stale' = 'true'`)).rowCount).toBe(0);
    const { rows: firstAfter } = await db.pool.query(
      `SELECT aggregate_id, version, state::text, taken_at FROM snapshots WHERE (aggregate_id, version) IN (($1, $2), ($3, $4)) ORDER BY aggregate_id COLLATE "C", version`,
      [keys[0]!.aggregate_id, keys[0]!.version, keys[1]!.aggregate_id, keys[1]!.version],
    );
    expect(firstAfter).toEqual(firstBatch!);
    expect(await stateOf(locked)).not.toBe(lockedBefore);
    const outcome = (await call('compliance.getCase', { caseId: opened.id })).outcomes!.find((o) => o.action === 'regenerateSnapshots')!;
    expect(outcome.affected).toBe(keys.length);
    expect(await unrelated()).toEqual(unrelatedBefore);
  }, 120_000);
});

describe('regenerated snapshots on a MongoDB store of the reference layout (FerretDB)', () => {
  let mongo: TestMongo;
  let engine: Engine;
  let call: Call;

  beforeAll(async () => {
    mongo = await createTestMongo('complregen');
    const events = [];
    let position = 0;
    for (const stream of ['cust-m', 'cust-n']) {
      const registered = { firstName: 'Mia', lastName: `Clear-${stream}`, email: `${stream}@mail.example`, address: '2 Clear Road' };
      events.push(
        {
          _id: `${stream}-1`,
          aggregateId: stream,
          aggregateType: 'Customer',
          type: 'CustomerRegistered',
          version: 1,
          timestamp: new Date(Date.UTC(2025, 0, 1)),
          data: registered,
          metadata: { userId: stream, schemaVersion: 2 },
          position: ++position,
          published: true,
        },
        {
          _id: `${stream}-2`,
          aggregateId: stream,
          aggregateType: 'Customer',
          type: 'CustomerEmailChanged',
          version: 2,
          timestamp: new Date(Date.UTC(2025, 0, 2)),
          data: { email: `new-${stream}@mail.example` },
          metadata: { userId: stream },
          position: ++position,
          published: true,
        },
      );
    }
    await mongo.db.collection('events').insertMany(events as never[]);
    await mongo.db.collection('events').createIndex({ aggregateId: 1, version: 1 }, { unique: true });
    // Snapshots taken from the decrypted state: the personal data in clear.
    await mongo.db.collection('snapshots').insertMany(
      ['cust-m', 'cust-n'].map((stream) => ({
        _id: `${stream}@2`,
        aggregateId: stream,
        aggregateType: 'Customer',
        version: 2,
        state: { status: 'registered', firstName: 'Mia', lastName: `Clear-${stream}`, email: `new-${stream}@mail.example`, address: '2 Clear Road' },
        takenAt: new Date(),
      })) as never[],
    );
    engine = createEngine({
      dataDir: await mkdtemp(join(tmpdir(), 'chrono-complregen-')),
      mode: 'browser',
      log: () => undefined,
      env: {},
      onOutputMismatch: failOnOutputMismatch,
    });
    call = engineCaller(() => engine);
  }, 60_000);

  afterAll(async () => {
    await engine?.dispose();
    await mongo?.drop();
  });

  it('redacts the events, then regenerates the snapshot from them in its own document format; the other subject is untouched', async () => {
    const connectionId = (await call('connections.add', { name: 'Mongo', settings: { kind: 'mongo', uri: mongo.url, database: mongo.name }, readOnly: false }))
      .id;
    await call('stores.configure', { connectionId, preset: 'reference-mongo' });
    const { connectionId: _c, confirmedAt: _t, ...map } = await call('compliance.proposeMap', { connectionId });
    await call('compliance.saveMap', { connectionId, map });
    const otherBefore = JSON.stringify(await mongo.db.collection('snapshots').findOne({ aggregateId: 'cust-n' }));
    const opened = await call('compliance.createCase', {
      connectionId,
      subject: { by: 'id', value: 'cust-m' },
      ticket: 'M-2',
      requester: 'Ana',
      reason: 'erasure',
    });
    await jobSettled(engine, (await call('compliance.search', { caseId: opened.id, connectionId, includeMentions: false })).jobId);
    const actions = ['redact', 'regenerateSnapshots'] as const;
    const dry = await call('compliance.erase', { caseId: opened.id, connectionId, actions: [...actions], dryRun: true });
    expect(dry.previews!.find((p) => p.action === 'regenerateSnapshots')).toMatchObject({
      affected: 1,
      snapshots: [{ streamId: 'cust-m', version: 2, streamType: 'Customer' }],
    });
    const run = await call('compliance.erase', { caseId: opened.id, connectionId, actions: [...actions], confirmation: dry.confirmation, reason: 'OPS-1' });
    expect((await jobSettled(engine, run.jobId!)).state).toBe('done');

    const regenerated = await mongo.db.collection('snapshots').findOne({ aggregateId: 'cust-m' });
    expect(regenerated).toMatchObject({
      _id: 'cust-m@2',
      version: 2,
      state: { status: 'registered', firstName: '[erased]', lastName: '[erased]', email: '[erased]', address: '[erased]' },
    });
    expect(JSON.stringify(await mongo.db.collection('snapshots').findOne({ aggregateId: 'cust-n' }))).toBe(otherBefore);
    const done = await call('compliance.getCase', { caseId: opened.id });
    expect(done.outcomes!.find((o) => o.action === 'regenerateSnapshots')).toMatchObject({ affected: 1 });
    expect(done.verification!.ok).toBe(true);
    expect(done.verification!.inClear.filter((c) => !c.ok && c.location === 'snapshots')).toEqual([]);
  }, 120_000);
});
