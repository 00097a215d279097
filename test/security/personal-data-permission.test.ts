/**
 * The access export and the e-mail search on a profile that may not decrypt
 * personal data, through the dispatcher on a seeded reference store in real
 * PostgreSQL: neither writes nor matches what only the subject's key opens.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src-main/engine/engine';
import { isSealedField, openField, type SealedField } from '../../src-main/engine/personal-data/sealed-fields';
import { seedDemoWorkspace } from '../../src-main/reference/demo/seed-demo';
import { PostgresSubjectKeyStore } from '../../src-main/reference/postgres/subject-keys';
import { createTestEngine, engineCaller, jobSettled, postgresConnection, type Call } from '../integration/engine-support';
import { createTestDatabase, type TestDatabase } from '../integration/reference/support';

describe("compliance reads of personal data follow the profile's decrypt permission", () => {
  let db: TestDatabase;
  let engine: Engine;
  let call: Call;
  let connectionId: string;
  let subject: string;
  let email: string;
  let address: string;

  beforeAll(async () => {
    db = await createTestDatabase('pdperm');
    await seedDemoWorkspace(db.pool, { events: 2_000, seed: 7 });
    const { rows } = await db.pool.query<{ id: string; data: Record<string, unknown> }>(
      `SELECT e.aggregate_id AS id, e.event_data AS data FROM events e WHERE e.event_type = 'CustomerRegistered'
         AND NOT EXISTS (SELECT 1 FROM events c WHERE c.aggregate_id = e.aggregate_id AND c.event_type = 'CustomerEmailChanged')
       ORDER BY e.global_position LIMIT 1`,
    );
    subject = rows[0]!.id;
    const keys = new PostgresSubjectKeyStore(db.pool);
    const key = (await keys.keyById((await keys.keyForSubject(subject)).keyId))!;
    expect(isSealedField(rows[0]!.data.email)).toBe(true);
    email = openField(rows[0]!.data.email as SealedField, key, 'email') as string;
    address = JSON.stringify(openField(rows[0]!.data.address as SealedField, key, 'address'));
    engine = await createTestEngine('pdperm');
    call = engineCaller(() => engine);
    // Profiles may not decrypt unless marked so: this one is left as added.
    connectionId = (await call('connections.add', { ...postgresConnection('Reference', db.url), readOnly: true })).id;
    expect((await call('connections.list', {})).find((p) => p.id === connectionId)!.mayDecryptPersonalData).toBe(false);
    const { connectionId: _c, confirmedAt: _t, ...map } = await call('compliance.proposeMap', { connectionId });
    await call('compliance.saveMap', { connectionId, map });
  }, 120_000);

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  const searched = async (by: 'email' | 'id', value: string, ticket: string) => {
    const opened = await call('compliance.createCase', {
      connectionId,
      subject: { by, value },
      ticket,
      requester: 'Data Protection Office',
      reason: 'GDPR art. 15 request',
    });
    await jobSettled(engine, (await call('compliance.search', { caseId: opened.id, connectionId, includeMentions: false })).jobId);
    return call('compliance.getCase', { caseId: opened.id });
  };

  const bundleText = async (path: string) => (await Promise.all((await readdir(path)).map((f) => readFile(join(path, f), 'utf8')))).join('\n');

  it('does not match an e-mail against decrypted values, and says why', async () => {
    const record = await searched('email', email, 'PERM-1');
    expect(record.inventory!.subjectIds).toEqual([]);
    expect(record.inventory!.note).toMatch(/may not decrypt personal data/);
  });

  it('writes the access export with the sealed fields as stored', async () => {
    const record = await searched('id', subject, 'PERM-2');
    expect(record.inventory!.subjectIds).toEqual([subject]);
    const exported = await call('compliance.export', { caseId: record.id, connectionId });
    expect(exported.events).toBeGreaterThan(0);
    const text = await bundleText(exported.path);
    expect(text).not.toContain(email);
    expect(text).not.toContain(address.slice(1, -1));
    expect(exported.decrypted).toBe(false);
    const events = JSON.parse(await readFile(join(exported.path, 'events.json'), 'utf8')) as { eventType: string; data: Record<string, unknown> }[];
    expect(isSealedField(events.find((e) => e.eventType === 'CustomerRegistered')!.data.email)).toBe(true);
  });

  it('opens them once the profile may decrypt (the same calls)', async () => {
    await call('connections.update', { id: connectionId, mayDecryptPersonalData: true });
    const record = await searched('email', email, 'PERM-3');
    expect(record.inventory!.subjectIds).toEqual([subject]);
    expect(record.inventory!.note).toBeUndefined();
    const exported = await call('compliance.export', { caseId: record.id, connectionId });
    expect(exported.decrypted).toBe(true);
    expect(await bundleText(exported.path)).toContain(email);
  });
});
