import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { NOT_ALLOWED_NOTE } from '../../../src-main/engine/personal-data/decrypted-views';
import { isSealedField, openField } from '../../../src-main/engine/personal-data/sealed-fields';
import { seedDemoWorkspace } from '../../../src-main/reference/demo/seed-demo';
import { PostgresSubjectKeyStore } from '../../../src-main/reference/postgres/subject-keys';
import { createTestEngine, engineCaller, postgresConnection, type Call, jobSettled } from '../engine-support';
import { createTestDatabase, type TestDatabase } from '../reference/support';

describe('decrypted views of the reference system (PostgreSQL)', () => {
  let db: TestDatabase;
  let engine: Engine;
  let call: Call;
  /** May decrypt, and read-only: reading keys is not writing. */
  let allowed: string;
  /** The default: may not decrypt. */
  let denied: string;
  /** Read-write, may not decrypt: runs the erasure. */
  let writer: string;
  let customer: string;
  let email: string;

  const registered = async (connectionId: string) => {
    const page = await call('streams.read', { connectionId, streamId: customer, limit: 100 });
    return page.events.find((e) => e.type === 'CustomerRegistered')!;
  };
  const auditedDecryptions = async () => (await engine.audit.list({ limit: 500, operation: 'personalData.decrypted' })).records;

  beforeAll(async () => {
    db = await createTestDatabase('decrypt');
    await seedDemoWorkspace(db.pool, { events: 2_000, seed: 7 });
    const { rows } = await db.pool.query<{ id: string; email: unknown }>(
      `SELECT e.aggregate_id AS id, e.event_data->'email' AS email FROM events e WHERE e.event_type = 'CustomerRegistered'
         AND NOT EXISTS (SELECT 1 FROM events c WHERE c.aggregate_id = e.aggregate_id AND c.event_type = 'CustomerEmailChanged')
       ORDER BY e.global_position LIMIT 1`,
    );
    customer = rows[0]!.id; // its e-mail never changed: the replayed state holds the registered one
    expect(isSealedField(rows[0]!.email)).toBe(true);
    const keys = new PostgresSubjectKeyStore(db.pool);
    email = openField(rows[0]!.email as never, (await keys.keyById((rows[0]!.email as { kid: string }).kid))!, 'email') as string;

    engine = await createTestEngine('decrypt');
    call = engineCaller(() => engine);
    allowed = (await call('connections.add', { ...postgresConnection('Allowed', db.url), readOnly: true, mayDecryptPersonalData: true })).id;
    denied = (await call('connections.add', postgresConnection('Denied', db.url))).id;
    writer = (await call('connections.add', { ...postgresConnection('Writer', db.url), readOnly: false })).id;
    for (const connectionId of [allowed, denied, writer]) await call('stores.configure', { connectionId, preset: 'classic', reason: 'test' });
  }, 120_000);

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('keeps the permission off unless granted, and shows it on the profile', async () => {
    const views = await call('connections.list', {});
    expect(views.find((v) => v.id === denied)!.mayDecryptPersonalData).toBe(false);
    expect(views.find((v) => v.id === allowed)).toMatchObject({ mayDecryptPersonalData: true, readOnly: true });
  });

  it('shows the allowed profile clear values with marks, audits the subject but not the values', async () => {
    const before = (await auditedDecryptions()).length;
    const event = await registered(allowed);
    expect((event.data as Record<string, unknown>).email).toBe(email);
    expect(event.personalData?.fields).toEqual(expect.arrayContaining([{ path: ['data', 'email'], state: 'decrypted' }]));
    expect(event.personalData?.note).toBeUndefined();
    const records = await auditedDecryptions();
    expect(records.length).toBe(before + 1);
    expect(records[0]).toMatchObject({
      target: `stream:${allowed}/${customer}`,
      details: expect.objectContaining({ view: 'streams.read', subjects: [customer] }),
    });
    expect(await readFile(engine.audit.path, 'utf8')).not.toContain(email);

    const feed = await call('feed.read', { connectionId: allowed, eventTypes: ['CustomerRegistered'], limit: 5 });
    expect(feed.events.map((e) => (e.data as Record<string, unknown>).email).every((v) => typeof v === 'string' && v.includes('@'))).toBe(true);
  });

  it('decrypts what a live tail emits and audits each batch that opened personal data', async () => {
    const { rows } = await db.pool.query<{ position: string }>(
      `SELECT global_position::text AS position FROM events WHERE aggregate_id = $1 AND event_type = 'CustomerRegistered'`,
      [customer],
    );
    const before = (await auditedDecryptions()).length;
    const controller = new AbortController();
    const emitted: { events: { streamId: string; data: unknown; personalData?: unknown }[] }[] = [];
    await engine.dispatcher
      .run(
        'feed.tail',
        { connectionId: allowed, afterPosition: String(BigInt(rows[0]!.position) - 1n), eventTypes: ['CustomerRegistered'], pollMs: 100 },
        {
          operationId: 'tail',
          signal: controller.signal,
          progress: () => undefined,
          emit: (data: unknown) => {
            emitted.push(data as (typeof emitted)[number]);
            if (emitted.some((batch) => batch.events.some((e) => e.streamId === customer))) controller.abort();
          },
        },
      )
      .catch(() => undefined);
    const event = emitted.flatMap((batch) => batch.events).find((e) => e.streamId === customer)!;
    expect((event.data as Record<string, unknown>).email).toBe(email);
    expect(event.personalData).toMatchObject({ fields: expect.arrayContaining([{ path: ['data', 'email'], state: 'decrypted' }]) });
    const records = (await auditedDecryptions()).slice(0, (await auditedDecryptions()).length - before);
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => r.details?.view === 'feed.tail')).toBe(true);
    expect(records.flatMap((r) => r.details?.subjects as string[])).toContain(customer);
  });

  it('leaves the envelope and a hint for a profile that may not decrypt, and audits nothing', async () => {
    const before = (await auditedDecryptions()).length;
    const event = await registered(denied);
    const sealed = (event.data as Record<string, unknown>).email;
    expect(isSealedField(sealed)).toBe(true);
    expect(JSON.stringify(event)).not.toContain(email);
    expect(event.personalData).toMatchObject({ note: NOT_ALLOWED_NOTE, fields: expect.arrayContaining([{ path: ['data', 'email'], state: 'encrypted' }]) });
    expect((await auditedDecryptions()).length).toBe(before);
  });

  it('exports decrypted only for the allowed profile', async () => {
    const clear = await call('events.export', { connectionId: allowed, source: { kind: 'stream', streamId: customer }, format: 'ndjson', reason: 'test' });
    expect(await readFile(clear.path, 'utf8')).toContain(email);
    const sealed = await call('events.export', { connectionId: denied, source: { kind: 'stream', streamId: customer }, format: 'csv', reason: 'test' });
    const text = await readFile(sealed.path, 'utf8');
    expect(text).not.toContain(email);
    expect(text).toContain('aes-256-gcm');
  });

  it('folds time travel on decrypted events for the allowed profile only', async () => {
    const open = await call('timeTravel.state', {
      connectionId: allowed,
      streamId: customer,
      target: { version: 1000 },
      definition: 'auto',
      useSnapshot: true,
    });
    expect(JSON.stringify(open.state)).toContain(email);
    expect(open.personalData).toMatchObject({ mode: 'decrypted', subjects: 1, shreddedFields: 0 });
    const closed = await call('timeTravel.state', {
      connectionId: denied,
      streamId: customer,
      target: { version: 1000 },
      definition: 'auto',
      useSnapshot: true,
    });
    expect(JSON.stringify(closed.state)).not.toContain(email);
    expect(closed.personalData).toMatchObject({ mode: 'encrypted', note: NOT_ALLOWED_NOTE });
  });

  it('replays streams without personal data as before for the allowed profile', async () => {
    const { rows } = await db.pool.query<{ id: string }>(
      `SELECT aggregate_id AS id FROM events WHERE aggregate_type = 'Account' ORDER BY global_position LIMIT 1`,
    );
    const before = (await auditedDecryptions()).length;
    const account = await call('timeTravel.state', {
      connectionId: allowed,
      streamId: rows[0]!.id,
      target: { version: 1000 },
      definition: 'auto',
      useSnapshot: true,
    });
    expect(account.personalData).toBeUndefined();
    expect((await auditedDecryptions()).length).toBe(before);
  });

  it('reads "[shredded]" at once after an erasure shredded the key, although the key was cached a moment ago', async () => {
    expect((await registered(allowed)).personalData?.fields[0]?.state).toBe('decrypted'); // the key is in the cache now
    const { connectionId: _c, confirmedAt: _t, ...map } = await call('compliance.proposeMap', { connectionId: writer });
    await call('compliance.saveMap', { connectionId: writer, map: { ...map, requireSecondApprover: false } });
    const opened = await call('compliance.createCase', {
      connectionId: writer,
      subject: { by: 'id', value: customer },
      ticket: 'DPO-15',
      requester: 'Dana Requester',
      reason: 'GDPR art. 17 request',
    });
    const search = await call('compliance.search', { caseId: opened.id, connectionId: writer, includeMentions: false });
    expect((await jobSettled(engine, search.jobId)).state).toBe('done');
    const dry = await call('compliance.erase', { caseId: opened.id, connectionId: writer, actions: ['shred'], dryRun: true });
    const run = await call('compliance.erase', {
      caseId: opened.id,
      connectionId: writer,
      actions: ['shred'],
      confirmation: dry.confirmation,
      reason: 'ticket DPO-15',
    });
    expect((await jobSettled(engine, run.jobId!)).state).toBe('done');

    const event = await registered(allowed);
    expect((event.data as Record<string, unknown>).email).toBe('[shredded]');
    expect(event.personalData?.fields).toEqual(expect.arrayContaining([{ path: ['data', 'email'], state: 'shredded' }]));
    expect(JSON.stringify(event)).not.toContain(email);
    // The denied profile still sees the envelope: it never reads keys, shredded or not.
    expect(isSealedField(((await registered(denied)).data as Record<string, unknown>).email)).toBe(true);

    const replay = await call('timeTravel.state', {
      connectionId: allowed,
      streamId: customer,
      target: { version: 1000 },
      definition: 'auto',
      useSnapshot: true,
    });
    expect(JSON.stringify(replay.state)).toContain('[shredded]');
    expect(JSON.stringify(replay.state)).not.toContain(email);
    expect(replay.personalData).toMatchObject({ mode: 'decrypted', subjects: 0 });
    expect(replay.personalData!.shreddedFields).toBeGreaterThan(0);
  });
});
