import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { unzipSync } from 'fflate';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../../src-main/engine/engine';
import { PersonalDataCodec } from '../../../src-main/reference/crypto/personal-data';
import { isSealedField, openField } from '../../../src-main/engine/personal-data/sealed-fields';
import { secretEnvName } from '../../../src-main/engine/connections/secret-store';
import { seedDemoWorkspace } from '../../../src-main/reference/demo/seed-demo';
import { ensureReferenceSchema } from '../../../src-main/reference/postgres/schema';
import { PostgresSubjectKeyStore } from '../../../src-main/reference/postgres/subject-keys';
import type { StoredEvent } from '../../../src-main/reference/events';
import { engineCaller, postgresConnection, type Call, jobSettled } from '../engine-support';
import { createTestDatabase, createTestMongo, eventually, randomSuffix, type TestDatabase, type TestMongo } from '../reference/support';
import { testServices } from '../env';
import { pdfText } from '../../support/poppler';
import { createKafka, ensureTopic } from '../../../src-main/reference/kafka/client';
import { eventToMessage } from '../../../src-main/reference/kafka/messages';
import { EVENT_COLUMNS, rowToEvent, type EventRow } from '../../../src-main/reference/postgres/rows';

function newEngine(dataDir: string, env: NodeJS.ProcessEnv = {}): Engine {
  // Browser mode keeps secrets in memory: a restarted or child engine reads them from the environment.
  return createEngine({ dataDir, mode: 'browser', log: () => undefined, env });
}

/** md5 of every row of a table that `where` keeps, in a stable order. */
async function checksum(pool: pg.Pool, table: string, where: string, params: unknown[]): Promise<string> {
  const { rows } = await pool.query<{ sum: string | null }>(
    `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS sum FROM ${table} t WHERE ${where}`,
    params,
  );
  return rows[0]?.sum ?? 'empty';
}

async function othersChecksums(pool: pg.Pool, subject: string): Promise<Record<string, string>> {
  return {
    events: await checksum(
      pool,
      'events',
      `NOT COALESCE(aggregate_id = $1 OR event_data->>'customerId' = $1 OR event_data->>'ownerId' = $1 OR metadata->>'userId' = $1, false)`,
      [subject],
    ),
    snapshots: await checksum(pool, 'snapshots', `NOT COALESCE(aggregate_id = $1 OR state->>'ownerId' = $1, false)`, [subject]),
    accounts: await checksum(pool, 'accounts_view', 'owner_id <> $1', [subject]),
    orders: await checksum(pool, 'orders_view', 'customer_id <> $1', [subject]),
    products: await checksum(pool, 'products_view', 'true', []),
    keys: await checksum(pool, 'subject_keys', 'subject_id <> $1', [subject]),
  };
}

const DANA = { operatorId: '', passphrase: 'dana-opens-cases-1' };
const SAM = { operatorId: '', passphrase: 'sam-approves-them-2' };

describe('compliance on the seeded reference system (PostgreSQL)', () => {
  let db: TestDatabase;
  let engine: Engine;
  let call: Call;
  let connectionId: string;
  let subject: string;
  let email: string;
  let other: string;
  let kafkaId: string;
  let subjectCopies: number;
  let dataDir: string;
  const topic = `domain_events_compliance_${randomSuffix()}`;

  beforeAll(async () => {
    db = await createTestDatabase('compl');
    await seedDemoWorkspace(db.pool, { events: 8_000, seed: 11 });
    // A customer with an account and orders (so read models and snapshots name them).
    const { rows } = await db.pool.query<{ id: string }>(
      `SELECT a.owner_id AS id FROM accounts_view a WHERE EXISTS (SELECT 1 FROM orders_view o WHERE o.customer_id = a.owner_id)
       ORDER BY a.owner_id LIMIT 1`,
    );
    subject = rows[0]!.id;
    // The seed snapshots only long streams (merchants' accounts): a snapshot of the customer's account as the system would take it.
    await db.pool.query(
      `INSERT INTO snapshots (aggregate_id, aggregate_type, version, state)
       SELECT account_id, 'Account', version, jsonb_build_object('status', status, 'ownerId', owner_id, 'currency', currency, 'balanceCents', balance_cents) FROM accounts_view WHERE owner_id = $1`,
      [subject],
    );
    const { rows: others } = await db.pool.query<{ id: string }>(
      `SELECT aggregate_id AS id FROM events WHERE event_type = 'CustomerRegistered' AND aggregate_id <> $1 LIMIT 1`,
      [subject],
    );
    other = others[0]!.id;
    // Another subject's free text naming our subject: must be reported, never erased.
    await db.pool.query(
      `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, metadata)
       VALUES (gen_random_uuid(), $1, 'Customer', 'CustomerNoteAdded', 1000, $2, '{}'::jsonb)`,
      [other, JSON.stringify({ note: `Referred by customer ${subject} last spring` })],
    );
    const keys = new PostgresSubjectKeyStore(db.pool);
    const key = (await keys.keyById((await keys.keyForSubject(subject)).keyId))!;
    const { rows: registered } = await db.pool.query<{ event_data: Record<string, unknown> }>(
      `SELECT event_data FROM events WHERE aggregate_id = $1 AND event_type = 'CustomerRegistered'`,
      [subject],
    );
    const sealedEmail = registered[0]!.event_data.email;
    expect(isSealedField(sealedEmail)).toBe(true);
    email = openField(sealedEmail as never, key, 'email') as string;

    // The relay's copies on Kafka: the subject's events and a few hundred others, keyed by aggregate.
    const kafka = createKafka({ brokers: testServices.kafkaBrokers, quiet: true });
    await ensureTopic(kafka, topic, 2);
    const { rows: copies } = await db.pool.query<EventRow>(
      `(SELECT ${EVENT_COLUMNS} FROM events WHERE aggregate_id = $1 OR event_data->>'customerId' = $1) UNION ALL (SELECT ${EVENT_COLUMNS} FROM events WHERE aggregate_id <> $1 LIMIT 300)`,
      [subject],
    );
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: copies.map((row) => eventToMessage(rowToEvent(row))) });
    await producer.disconnect();
    subjectCopies = copies.filter((r) => r.aggregate_id === subject || r.event_data.customerId === subject).length;

    dataDir = await mkdtemp(join(tmpdir(), 'chrono-compl-'));
    engine = newEngine(dataDir);
    call = engineCaller(() => engine);
    // The compliance officer's profile may decrypt: the e-mail search and the access export open sealed fields.
    connectionId = (await call('connections.add', { ...postgresConnection('Reference', db.url), readOnly: true, mayDecryptPersonalData: true })).id;
    // Two registered operators: Dana opens cases, Sam (sponsored by Dana) approves them.
    const dana = await call('operators.enroll', { name: 'Dana Opener', passphrase: DANA.passphrase });
    const sam = await call('operators.enroll', {
      name: 'Sam Second',
      passphrase: SAM.passphrase,
      sponsor: { operatorId: dana.id, passphrase: DANA.passphrase },
    });
    DANA.operatorId = dana.id;
    SAM.operatorId = sam.id;
    kafkaId = (await call('connections.add', { name: 'Kafka', settings: { kind: 'kafka', brokers: testServices.kafkaBrokers, connectTimeoutMs: 3000 } })).id;
  }, 120_000);

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('proposes a map from sealed fields and key-like names, then saves the confirmed map', async () => {
    const proposed = await call('compliance.proposeMap', { connectionId });
    const registered = proposed.events.find((e) => e.eventType === 'CustomerRegistered')!;
    expect(registered.subjectPaths).toContain('streamId');
    expect(registered.personalPaths).toEqual(
      expect.arrayContaining([
        { path: 'data.email', sealed: true },
        { path: 'data.address', sealed: true },
      ]),
    );
    expect(proposed.events.find((e) => e.eventType === 'OrderPlaced')?.subjectPaths).toContain('data.customerId');
    expect(proposed.readModels.map((m) => `${m.table}.${m.subjectColumn}`).sort()).toEqual(['accounts_view.owner_id', 'orders_view.customer_id']);
    expect(proposed.snapshots?.subjectPaths).toEqual(expect.arrayContaining(['aggregateId', 'state.ownerId']));
    expect(proposed.keyStore?.table).toBe('subject_keys');
    const { connectionId: _c, confirmedAt: _t, ...map } = proposed;
    const saved = await call('compliance.saveMap', { connectionId, map: { ...map, requireSecondApprover: true } });
    expect(saved.confirmedAt).toBeTruthy();
  });

  it('finds the subject by e-mail (decrypting sealed fields), exports it, shreds it and verifies; others stay byte-identical', async () => {
    const before = await othersChecksums(db.pool, subject);
    const opened = await call('compliance.createCase', {
      connectionId,
      subject: { by: 'email', value: email.toUpperCase() },
      ticket: 'DPO-17',
      requester: 'Dana Requester',
      reason: 'GDPR art. 17 request',
      operator: DANA,
    });
    const { jobId } = await call('compliance.search', {
      caseId: opened.id,
      connectionId,
      kafka: { connectionId: kafkaId, topics: [topic], from: new Date(Date.now() - 3_600_000).toISOString() },
    });
    expect((await jobSettled(engine, jobId)).state).toBe('done');
    const searched = await call('compliance.getCase', { caseId: opened.id });
    const inventory = searched.inventory!;
    expect(inventory.subjectIds).toEqual([subject]);
    const at = (location: string) => inventory.locations.find((l) => l.location === location)!;
    expect(at('events').count).toBeGreaterThan(2);
    expect(at('events').byType?.CustomerRegistered).toBe(1);
    expect(at('orders_view').count).toBeGreaterThan(0);
    expect(at('accounts_view').count).toBeGreaterThan(0);
    expect(at('snapshots').count).toBeGreaterThan(0);
    expect(at('subject_keys').count).toBe(1);
    expect(at(`topic ${topic}`).count).toBe(subjectCopies);
    // The other customer's note is reported as a mention.
    expect(inventory.mentions).toEqual([expect.objectContaining({ streamId: other, eventType: 'CustomerNoteAdded', where: 'data' })]);
    // data.customerId / metadata.userId are not indexed in the reference schema: the search says which index would serve it.
    expect(inventory.advice.map((a) => a.path)).toEqual(
      expect.arrayContaining(['data.customerId', 'metadata.userId', 'accounts_view.owner_id', 'snapshots.state.ownerId']),
    );
    // orders_view has its index on customer_id: no advice for it.
    expect(inventory.advice.map((a) => a.path)).not.toContain('orders_view.customer_id');

    const exported = await call('compliance.export', { caseId: opened.id, connectionId });
    expect(exported.files).toContain('summary.txt');
    const events = JSON.parse(await readFile(join(exported.path, 'events.json'), 'utf8')) as { eventType: string; data: Record<string, unknown> }[];
    expect(events.length).toBe(at('events').count);
    expect(events.find((e) => e.eventType === 'CustomerRegistered')!.data.email).toBe(email);
    expect(await readFile(join(exported.path, 'key-store.json'), 'utf8')).not.toMatch(/key_material|"key"/);
    // The same bundle as one zip beside the folder (what is downloaded or saved): every file, byte for byte.
    expect(exported.archiveName).toBe(basename(exported.archive));
    const zipped = unzipSync(await readFile(exported.archive));
    expect(Object.keys(zipped).sort()).toEqual([...exported.files].sort());
    for (const file of exported.files) expect(Buffer.from(zipped[file]!).equals(await readFile(join(exported.path, file)))).toBe(true);

    const actions = ['shred', 'purgeReadModels', 'deleteSnapshots'] as const;
    // Read-only profile: the dry run works, the real run is refused.
    const dry = await call('compliance.erase', { caseId: opened.id, connectionId, actions: [...actions], dryRun: true });
    expect(dry.previews!.find((p) => p.action === 'shred')!.affected).toBe(1);
    await expect(
      call('compliance.erase', { caseId: opened.id, connectionId, actions: [...actions], confirmation: dry.confirmation, reason: 'OPS-1' }),
    ).rejects.toMatchObject({ code: 'read_only' });
    await call('connections.update', { id: connectionId, readOnly: false });
    // Without a confirmation token, nothing runs.
    await expect(call('compliance.erase', { caseId: opened.id, connectionId, actions: [...actions], reason: 'OPS-1' })).rejects.toMatchObject({
      code: 'confirmation_required',
    });
    // Two-person rule: refused until a second registered operator approves (not the one who opened the case).
    await expect(
      call('compliance.erase', { caseId: opened.id, connectionId, actions: [...actions], confirmation: dry.confirmation, reason: 'OPS-1' }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    await expect(call('compliance.approve', { caseId: opened.id, approver: DANA })).rejects.toMatchObject({ code: 'forbidden' });
    await call('compliance.approve', { caseId: opened.id, approver: SAM });
    // The refused run used its confirmation up (each authorises one run): preview again, then run.
    await expect(
      call('compliance.erase', { caseId: opened.id, connectionId, actions: [...actions], confirmation: dry.confirmation, reason: 'OPS-1' }),
    ).rejects.toMatchObject({ code: 'confirmation_required' });
    const approvedDry = await call('compliance.erase', { caseId: opened.id, connectionId, actions: [...actions], dryRun: true });
    const run = await call('compliance.erase', {
      caseId: opened.id,
      connectionId,
      actions: [...actions],
      confirmation: approvedDry.confirmation,
      reason: 'ticket DPO-17',
    });
    expect((await jobSettled(engine, run.jobId!)).state).toBe('done');

    const erased = await call('compliance.getCase', { caseId: opened.id });
    expect(erased.verification!.ok).toBe(true);
    expect(erased.verification!.sealedFields).toBeGreaterThan(0);
    expect(erased.verification!.stillDecrypting).toBe(0);
    expect(erased.verification!.inClear.find((c) => c.location === `topic ${topic}`)?.detail).toMatch(
      /still carry the subject's id \(\d+ as key\); messages deleted \d+ h after they were written: retention removes the newest copy from \d{4}-\d\d-\d\dT[\d:.]+Z, at the latest by \d{4}-\d\d-\d\dT[\d:.]+Z \(once its segment has rolled\)$/,
    );
    // The topic copies are checked too: their sealed fields no longer open.
    expect(erased.verification!.checks.find((c) => c.location === `topic ${topic}`)).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^\d+ message\(s\) name the subject; [1-9]\d* encrypted field\(s\), 0 still decrypt$/),
    });
    expect(erased.verification!.inClear.map((c) => c.location)).toEqual(expect.arrayContaining(['events (free text of others)', 'access export bundle']));
    // Nothing of the subject decrypts through the reference system's own codec either.
    const codec = new PersonalDataCodec(new PostgresSubjectKeyStore(db.pool));
    const { rows } = await db.pool.query<{ event_type: string; event_data: Record<string, unknown>; metadata: StoredEvent['metadata'] }>(
      `SELECT event_type, event_data, metadata FROM events WHERE aggregate_id = $1`,
      [subject],
    );
    for (const row of rows.filter((r) => r.event_type.startsWith('Customer'))) {
      const open = await codec.open({ type: row.event_type, data: row.event_data, metadata: row.metadata } as unknown as StoredEvent);
      for (const value of Object.values(open.data)) expect(typeof value === 'string' && value.includes('@')).toBe(false);
    }
    expect(
      (await db.pool.query("SELECT 1 FROM orders_view WHERE customer_id = $1 UNION ALL SELECT 1 FROM snapshots WHERE state->>'ownerId' = $1", [subject]))
        .rowCount,
    ).toBe(0);
    // Every other subject's data is byte-identical, the note naming the subject included.
    expect(await othersChecksums(db.pool, subject)).toEqual(before);

    // Searching again after shredding: the e-mail no longer opens, the case keeps its subject.
    await jobSettled(engine, (await call('compliance.search', { caseId: opened.id, connectionId, includeMentions: false })).jobId);
    expect((await call('compliance.getCase', { caseId: opened.id })).inventory!.subjectIds).toEqual([subject]);
    // Rerunning is idempotent: nothing left to do.
    const again = await call('compliance.erase', { caseId: opened.id, connectionId, actions: ['shred'], dryRun: true });
    expect(again.previews![0]!.affected).toBe(0);

    // The report: no personal data of the subject, chained into the audit log.
    await call('settings.update', { timeZone: 'utc' });
    const report = await call('compliance.report', { caseId: opened.id });
    const json = await readFile(report.json, 'utf8');
    const html = await readFile(report.html, 'utf8');
    const pdf = await pdfText(report.pdf);
    for (const text of [json, html, pdf]) {
      expect(text).not.toContain(subject);
      expect(text.toLowerCase()).not.toContain(email.toLowerCase());
    }
    expect(html).toContain('DPO-17');
    // The PDF, made by the main process: plain words, times in the Settings' format and zone, the chain head.
    expect(pdf).toMatch(/^Erasure report Ticket DPO-17, made \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC by /);
    expect(pdf).toContain("Crypto-shred: delete the subject's encryption key");
    expect(pdf).toContain("Remove the subject's rows from the read models");
    expect(pdf).toContain("Delete the snapshots that hold the subject's data");
    expect(pdf).not.toMatch(/purgeReadModels|deleteSnapshots|regenerateSnapshots|tombstoneTopics/);
    expect(pdf).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    expect(pdf).toMatch(/retention removes the newest copy from \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    // The head printed is the record the report's own chained record follows.
    const headBefore = (report.report as { auditHeadBefore: { seq: number; hash: string } }).auditHeadBefore;
    expect(headBefore.seq).toBe(report.auditSeq - 1);
    expect(headBefore.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(pdf).toContain(`Audit chain head when the report was made: record ${headBefore.seq}, keyed hash ${headBefore.hash}.`);
    expect(pdf).toContain(report.sha256);
    expect(pdf).toMatch(/Verification Passed on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: [1-9]\d* encrypted field\(s\) found, 0 of them still decrypt\./);
    const { records } = await call('audit.list', { operation: 'compliance.reportChained' });
    expect(records[0]).toMatchObject({ seq: report.auditSeq, details: expect.objectContaining({ reportSha256: report.sha256 }) });
    expect((await call('audit.verify', {})).ok).toBe(true);
    // Neither the audit log nor the case kept the e-mail typed to find the subject.
    expect((await readFile(engine.audit.path, 'utf8')).toLowerCase()).not.toContain(email.toLowerCase());
    expect((await call('compliance.getCase', { caseId: opened.id })).subject.value).toBe('[erased]');
    // Editing the recorded hash breaks the chain.
    const auditFile = engine.audit.path;
    const lines = (await readFile(auditFile, 'utf8')).split('\n');
    const index = lines.findIndex((l) => l.includes(report.sha256));
    lines[index] = lines[index]!.replace(report.sha256, '0'.repeat(64));
    await writeFile(auditFile, lines.join('\n'));
    const verdict = await call('audit.verify', {});
    expect(verdict.ok).toBe(false);
    expect(verdict.problems.map((p) => p.seq)).toContain(report.auditSeq);
  }, 120_000);

  it('cancels a search job: it stops at the next step and the case keeps no inventory', async () => {
    const opened = await call('compliance.createCase', {
      connectionId,
      subject: { by: 'id', value: other },
      ticket: 'DPO-18',
      requester: 'Dana Requester',
      reason: 'access request',
      operator: DANA,
    });
    // The events table is locked, so the search waits on its first read until we let go.
    const blocker = await db.pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE events IN ACCESS EXCLUSIVE MODE');
      const { jobId } = await call('compliance.search', { caseId: opened.id, connectionId });
      await eventually(async () => (await engine.jobs.get(jobId)).state === 'running', 10_000, 'the search to run');
      const cancelled = call('jobs.cancel', { id: jobId });
      await blocker.query('COMMIT');
      expect((await cancelled).state).toBe('cancelled');
      expect((await call('compliance.getCase', { caseId: opened.id })).inventory).toBeUndefined();
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
    }
  }, 60_000);

  it('resumes after kill -9 during the read-model purge: the table done stays done, the other is purged, nothing else touched', async () => {
    const { rows } = await db.pool.query<{ id: string }>(
      `SELECT a.owner_id AS id FROM accounts_view a WHERE a.owner_id <> $1 AND EXISTS (SELECT 1 FROM orders_view o WHERE o.customer_id = a.owner_id) ORDER BY a.owner_id LIMIT 1`,
      [subject],
    );
    const second = rows[0]!.id;
    const before = await othersChecksums(db.pool, second);
    const opened = await call('compliance.createCase', {
      connectionId,
      subject: { by: 'id', value: second },
      ticket: 'DPO-19',
      requester: 'Dana Requester',
      reason: 'erasure',
      operator: DANA,
    });
    await jobSettled(engine, (await call('compliance.search', { caseId: opened.id, connectionId, includeMentions: false })).jobId);
    // The approval signs the dry run's actions: the same ones the child previews and runs.
    await call('compliance.erase', { caseId: opened.id, connectionId, actions: ['purgeReadModels'], dryRun: true });
    await call('compliance.approve', { caseId: opened.id, approver: SAM });
    await engine.dispose();

    // orders_view is locked against writes (reads go on): the child purges accounts_view, then waits on orders_view and is killed there.
    const blocker = await db.pool.connect();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/integration/engine/fixtures/compliance-erase-child.ts', dataDir, opened.id, connectionId, 'purgeReadModels'],
      {
        cwd: process.cwd(),
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, [secretEnvName(connectionId)]: decodeURIComponent(new URL(db.url).password) },
      },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE orders_view IN EXCLUSIVE MODE');
      await eventually(
        async () => {
          if (child.exitCode !== null) throw new Error(`child exited: ${stderr}`);
          const { rows: waiting } = await db.pool.query(
            `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'DELETE FROM "orders_view"%'`,
          );
          return waiting.length > 0;
        },
        60_000,
        'the child to wait on orders_view',
      );
      expect((await db.pool.query('SELECT 1 FROM accounts_view WHERE owner_id = $1', [second])).rowCount).toBe(0);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      // The dead client's statement still waits in its server backend (PostgreSQL notices the closed socket only
      // when it next writes to it): end it, as the server would, so it cannot commit after the crash.
      await db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'DELETE FROM "orders_view"%'`);
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    expect((await db.pool.query('SELECT 1 FROM orders_view WHERE customer_id = $1', [second])).rowCount).toBeGreaterThan(0);

    engine = newEngine(dataDir, { [secretEnvName(connectionId)]: decodeURIComponent(new URL(db.url).password) });
    const paused = (await engine.jobs.list()).find((j) => j.kind === 'compliance.erase' && j.state === 'paused')!;
    await call('jobs.resume', { id: paused.id });
    expect((await jobSettled(engine, paused.id)).state).toBe('done');
    expect(
      (await db.pool.query('SELECT 1 FROM orders_view WHERE customer_id = $1 UNION ALL SELECT 1 FROM accounts_view WHERE owner_id = $1', [second])).rowCount,
    ).toBe(0);
    const outcome = (await call('compliance.getCase', { caseId: opened.id })).outcomes!.find((o) => o.action === 'purgeReadModels')!;
    // The rerun found accounts_view already purged (0 rows) and purged orders_view.
    expect(outcome.summary).toMatch(/^deleted 0 row\(s\) of accounts_view; deleted [1-9]\d* row\(s\) of orders_view$/);
    expect(await othersChecksums(db.pool, second)).toEqual(before);
  }, 120_000);
});

describe('redaction of a store without encryption (PostgreSQL)', () => {
  let db: TestDatabase;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('redact');
    await ensureReferenceSchema(db.pool);
    // 3000 events of the subject with e-mail and name in clear, interleaved with other customers' events.
    await db.pool.query(
      `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, metadata)
       SELECT gen_random_uuid(), s.stream, 'Customer', 'ProfileUpdated', g,
              jsonb_build_object('email', s.stream || '-' || g || '@example.org', 'name', 'Name ' || s.stream, 'plan', 'gold'),
              jsonb_build_object('userId', s.stream)
       FROM generate_series(1, 3000) g, (VALUES ('cust-a'), ('cust-b'), ('cust-c')) AS s(stream) ORDER BY g, s.stream`,
    );
    // cust-a acted on cust-b's profile: cust-b's data, found through metadata.userId, must not be redacted with cust-a's.
    await db.pool.query(
      `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, metadata)
       VALUES (gen_random_uuid(), 'cust-b', 'Customer', 'ProfileUpdated', 5000, '{"email": "b-by-a@example.org", "name": "Name cust-b", "plan": "gold"}', '{"userId": "cust-a"}')`,
    );
    await db.pool.query(`CREATE TABLE update_log (position bigint NOT NULL)`);
    await db.pool.query(
      `CREATE FUNCTION log_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO update_log VALUES (NEW.global_position); RETURN NEW; END $$`,
    );
    await db.pool.query(`CREATE TRIGGER events_update_log AFTER UPDATE ON events FOR EACH ROW EXECUTE FUNCTION log_update()`);
  }, 60_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await db?.drop();
  });

  async function setUp(dataDir: string) {
    const engine = newEngine(dataDir);
    const call = engineCaller(() => engine);
    const connectionId = (await call('connections.add', { ...postgresConnection('Plain', db.url), readOnly: false })).id;
    const secretEnv = { [secretEnvName(connectionId)]: decodeURIComponent(new URL(db.url).password) };
    const proposed = await call('compliance.proposeMap', { connectionId });
    expect(proposed.events).toEqual([
      expect.objectContaining({
        eventType: 'ProfileUpdated',
        subjectPaths: ['streamId', 'metadata.userId'],
        personalPaths: [
          { path: 'data.email', sealed: false },
          { path: 'data.name', sealed: false },
        ],
      }),
    ]);
    const { connectionId: _c, confirmedAt: _t, ...map } = proposed;
    await call('compliance.saveMap', { connectionId, map });
    return { engine, call, connectionId, secretEnv };
  }

  it('resumes after kill -9 mid-redaction: every event of the subject redacted once, nothing else touched', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'chrono-redact-'));
    const first = await setUp(dataDir);
    const opened = await first.call('compliance.createCase', {
      connectionId: first.connectionId,
      subject: { by: 'id', value: 'cust-a' },
      ticket: 'T-9',
      requester: 'Ana',
      reason: 'erasure',
    });
    const { jobId } = await first.call('compliance.search', { caseId: opened.id, connectionId: first.connectionId });
    await jobSettled(first.engine, jobId);
    const dry = await first.call('compliance.erase', { caseId: opened.id, connectionId: first.connectionId, actions: ['redact'], dryRun: true });
    const preview = dry.previews![0]!;
    expect(preview.affected).toBe(3000);
    expect(preview.redactions![0]!.changes).toEqual([
      { path: 'data.email', before: 'cust-a-1@example.org', after: '[erased]' },
      { path: 'data.name', before: 'Name cust-a', after: '[erased]' },
    ]);
    await first.engine.dispose();
    const othersBefore = await checksum(db.pool, 'events', `aggregate_id <> 'cust-a'`, []);

    // A child engine runs the redaction in batches of 50 and is killed halfway.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/integration/engine/fixtures/compliance-erase-child.ts', dataDir, opened.id, first.connectionId, 'redact'],
      {
        cwd: process.cwd(),
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...first.secretEnv, CHRONOSCOPE_REDACTION_BATCH: '50' },
      },
    );
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`child exited: ${stderr}`);
        const { rows } = await db.pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM events WHERE aggregate_id = 'cust-a' AND event_data->>'email' = '[erased]'`,
        );
        return Number(rows[0]!.n) >= 500 && Number(rows[0]!.n);
      },
      60_000,
      'the child to redact some batches',
    );
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const { rows: partly } = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM events WHERE aggregate_id = 'cust-a' AND event_data->>'email' = '[erased]'`,
    );
    expect(Number(partly[0]!.n)).toBeLessThan(3000);

    // A restarted engine shows the job paused and resumes it from its checkpoint.
    const engine = newEngine(dataDir, first.secretEnv);
    const call = engineCaller(() => engine);
    try {
      const paused = (await engine.jobs.list()).find((j) => j.kind === 'compliance.erase')!;
      expect(paused.state).toBe('paused');
      await call('jobs.resume', { id: paused.id });
      expect((await jobSettled(engine, paused.id)).state).toBe('done');
      const { rows } = await db.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM events WHERE aggregate_id = 'cust-a' AND event_data = '{"email": "[erased]", "name": "[erased]", "plan": "gold"}'::jsonb`,
      );
      expect(Number(rows[0]!.n)).toBe(3000);
      // Nothing changed twice, nothing else touched.
      const { rows: twice } = await db.pool.query(`SELECT position FROM update_log GROUP BY position HAVING count(*) > 1`);
      expect(twice).toEqual([]);
      expect(Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM update_log')).rows[0]!.n)).toBe(3000);
      expect(await checksum(db.pool, 'events', `aggregate_id <> 'cust-a'`, [])).toBe(othersBefore);
      const changes = await call('compliance.changes', { caseId: opened.id, limit: 10_000 });
      expect(changes.total).toBe(3000);
      expect(JSON.stringify(changes.changes)).not.toContain('@example.org');
      const finished = await call('compliance.getCase', { caseId: opened.id });
      expect(finished.verification?.inClear.filter((c) => !c.ok)).toEqual([]);
      // Idempotent: a second real run changes nothing.
      const dry2 = await call('compliance.erase', { caseId: opened.id, connectionId: first.connectionId, actions: ['redact'], dryRun: true });
      expect(dry2.previews![0]!.affected).toBe(0);
    } finally {
      await engine.dispose();
    }
  }, 180_000);

  it('refuses redaction where a trigger forbids updates, and says so', async () => {
    await db.pool.query(`CREATE FUNCTION forbid_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'events are append-only'; END $$`);
    await db.pool.query(`CREATE TRIGGER events_append_only BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION forbid_update()`);
    const { engine, call, connectionId } = await setUp(await mkdtemp(join(tmpdir(), 'chrono-redact-')));
    try {
      const opened = await call('compliance.createCase', {
        connectionId,
        subject: { by: 'id', value: 'cust-b' },
        ticket: 'T-10',
        requester: 'Ana',
        reason: 'erasure',
      });
      await jobSettled(engine, (await call('compliance.search', { caseId: opened.id, connectionId, includeMentions: false })).jobId);
      const before = await checksum(db.pool, 'events', 'true', []);
      const dry = await call('compliance.erase', { caseId: opened.id, connectionId, actions: ['redact'], dryRun: true });
      expect(dry.previews![0]!.refused).toMatch(/refuses updates \(trigger [^)]*events_append_only\): events are append-only/);
      await expect(
        call('compliance.erase', { caseId: opened.id, connectionId, actions: ['redact'], confirmation: dry.confirmation, reason: 'OPS-1' }),
      ).rejects.toMatchObject({ code: 'forbidden' });
      expect(await checksum(db.pool, 'events', 'true', [])).toBe(before);
      expect(await readdir(join(engine.exportsDir, '..'))).toContain('compliance');
    } finally {
      await engine.dispose();
    }
  }, 60_000);
});

describe('erasure on a MongoDB store of the reference layout (FerretDB)', () => {
  let mongo: TestMongo;
  let engine: Engine;
  let call: Call;

  beforeAll(async () => {
    mongo = await createTestMongo('complm');
    const events = [];
    for (let i = 1; i <= 300; i += 1) {
      for (const [n, stream] of ['cust-a', 'cust-b'].entries()) {
        events.push({
          _id: `${stream}-${i}`,
          aggregateId: stream,
          aggregateType: 'Customer',
          type: 'ProfileUpdated',
          version: i,
          timestamp: new Date(Date.UTC(2025, 0, 1, 0, i)),
          data: { email: `${stream}-${i}@example.org`, name: `Name ${stream}`, plan: 'gold' },
          metadata: { userId: stream },
          position: i * 2 + n,
          published: true,
        });
      }
    }
    await mongo.db.collection('events').insertMany(events as never[]);
    await mongo.db.collection('events').createIndex({ aggregateId: 1, version: 1 }, { unique: true });
    await mongo.db.collection('snapshots').insertMany([
      { _id: 'acct-a@10', aggregateId: 'acct-a', aggregateType: 'Account', version: 10, state: { ownerId: 'cust-a', balanceCents: 5 }, takenAt: new Date() },
      { _id: 'acct-b@10', aggregateId: 'acct-b', aggregateType: 'Account', version: 10, state: { ownerId: 'cust-b', balanceCents: 7 }, takenAt: new Date() },
    ] as never[]);
    await mongo.db.collection('orders_view').insertMany([
      { _id: 'o-1', orderId: 'o-1', customerId: 'cust-a', totalCents: 100 },
      { _id: 'o-2', orderId: 'o-2', customerId: 'cust-b', totalCents: 200 },
    ] as never[]);
    engine = newEngine(await mkdtemp(join(tmpdir(), 'chrono-complm-')));
    call = engineCaller(() => engine);
  }, 60_000);

  afterAll(async () => {
    await engine?.dispose();
    await mongo?.drop();
  });

  const othersChecksum = async () => {
    const docs = [
      ...(await mongo.db
        .collection('events')
        .find({ aggregateId: { $ne: 'cust-a' } })
        .sort({ position: 1 })
        .toArray()),
      ...(await mongo.db
        .collection('snapshots')
        .find({ 'state.ownerId': { $ne: 'cust-a' } })
        .toArray()),
      ...(await mongo.db
        .collection('orders_view')
        .find({ customerId: { $ne: 'cust-a' } })
        .toArray()),
    ];
    return JSON.stringify(docs);
  };

  it('finds a subject by e-mail, refuses shredding (no key store), redacts, purges and deletes snapshots; others untouched', async () => {
    const connectionId = (await call('connections.add', { name: 'Mongo', settings: { kind: 'mongo', uri: mongo.url, database: mongo.name }, readOnly: false }))
      .id;
    const proposed = await call('compliance.proposeMap', { connectionId });
    expect(proposed.events).toEqual([
      expect.objectContaining({
        eventType: 'ProfileUpdated',
        subjectPaths: ['streamId', 'metadata.userId'],
        personalPaths: [
          { path: 'data.email', sealed: false },
          { path: 'data.name', sealed: false },
        ],
      }),
    ]);
    expect(proposed.readModels).toEqual([expect.objectContaining({ table: 'orders_view', subjectColumn: 'customerId' })]);
    expect(proposed.snapshots?.subjectPaths).toEqual(['aggregateId', 'state.ownerId']);
    expect(proposed.keyStore).toBeNull();
    const { connectionId: _c, confirmedAt: _t, ...map } = proposed;
    await call('compliance.saveMap', { connectionId, map });

    const before = await othersChecksum();
    const opened = await call('compliance.createCase', {
      connectionId,
      subject: { by: 'email', value: 'CUST-A-7@example.org' },
      ticket: 'M-1',
      requester: 'Ana',
      reason: 'erasure',
    });
    await jobSettled(engine, (await call('compliance.search', { caseId: opened.id, connectionId })).jobId);
    const inventory = (await call('compliance.getCase', { caseId: opened.id })).inventory!;
    expect(inventory.subjectIds).toEqual(['cust-a']);
    expect(inventory.locations.map((l) => [l.location, l.count])).toEqual(
      expect.arrayContaining([
        ['events', 300],
        ['snapshots', 1],
        ['orders_view', 1],
      ]),
    );
    expect(inventory.advice.map((a) => a.path)).toEqual(['metadata.userId']);

    const withShred = await call('compliance.erase', { caseId: opened.id, connectionId, actions: ['shred', 'redact'], dryRun: true });
    expect(withShred.previews!.find((p) => p.action === 'shred')!.refused).toMatch(/no key store/);
    const actions = ['redact', 'purgeReadModels', 'deleteSnapshots'] as const;
    const dry = await call('compliance.erase', { caseId: opened.id, connectionId, actions: [...actions], dryRun: true });
    expect(dry.previews!.find((p) => p.action === 'redact')!.affected).toBe(300);
    const run = await call('compliance.erase', { caseId: opened.id, connectionId, actions: [...actions], confirmation: dry.confirmation, reason: 'OPS-1' });
    expect((await jobSettled(engine, run.jobId!)).state).toBe('done');
    const done = await call('compliance.getCase', { caseId: opened.id });
    expect(done.verification?.ok).toBe(true);
    expect(done.verification?.inClear.filter((c) => !c.ok)).toEqual([]);
    expect(
      await mongo.db.collection('events').countDocuments({ aggregateId: 'cust-a', 'data.email': '[erased]', 'data.name': '[erased]', 'data.plan': 'gold' }),
    ).toBe(300);
    expect(await mongo.db.collection('snapshots').countDocuments({ 'state.ownerId': 'cust-a' })).toBe(0);
    expect(await mongo.db.collection('orders_view').countDocuments({ customerId: 'cust-a' })).toBe(0);
    expect(await othersChecksum()).toBe(before);
    const again = await call('compliance.erase', { caseId: opened.id, connectionId, actions: ['redact'], dryRun: true });
    expect(again.previews![0]!.affected).toBe(0);
  }, 120_000);
});
