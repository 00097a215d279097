/**
 * Attacks on the two-person rule through the dispatcher, on a seeded reference
 * store in real PostgreSQL: approving one's own case, approving under a name no
 * one registered, stretching an approval to actions it did not cover, and
 * switching the rule off to release a case.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src-main/engine/engine';
import { seedDemoWorkspace } from '../../src-main/reference/demo/seed-demo';
import { createTestEngine, engineCaller, jobSettled, postgresConnection, type Call } from '../integration/engine-support';
import { createTestDatabase, type TestDatabase } from '../integration/reference/support';

const OPENER = { operatorId: '', passphrase: 'opener-passphrase-1' };
const SECOND = { operatorId: '', passphrase: 'second-passphrase-2' };

describe('the two-person rule cannot be satisfied by one person', () => {
  let db: TestDatabase;
  let engine: Engine;
  let call: Call;
  let connectionId: string;
  let subjects: string[];
  let dataDir: string;

  /** A case of the next subject, opened by OPENER under the rule, searched. */
  async function openCase(ticket: string) {
    const subject = subjects.shift()!;
    const opened = await call('compliance.createCase', {
      connectionId,
      subject: { by: 'id', value: subject },
      ticket,
      requester: 'Data Protection Office',
      reason: 'GDPR art. 17 request',
      operator: OPENER,
    });
    await jobSettled(engine, (await call('compliance.search', { caseId: opened.id, connectionId, includeMentions: false })).jobId);
    return { caseId: opened.id, subject };
  }

  const keysOf = async (subject: string) =>
    Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM subject_keys WHERE subject_id = $1', [subject])).rows[0]!.n);
  const ordersOf = async (subject: string) => (await db.pool.query('SELECT 1 FROM orders_view WHERE customer_id = $1', [subject])).rowCount!;

  beforeAll(async () => {
    db = await createTestDatabase('twoperson');
    await seedDemoWorkspace(db.pool, { events: 3_000, seed: 5 });
    const { rows } = await db.pool.query<{ id: string }>(
      `SELECT DISTINCT k.subject_id AS id FROM subject_keys k JOIN orders_view o ON o.customer_id = k.subject_id ORDER BY 1 LIMIT 6`,
    );
    subjects = rows.map((r) => r.id);
    expect(subjects.length).toBe(6);
    dataDir = await mkdtemp(join(tmpdir(), 'chrono-twoperson-'));
    engine = await createTestEngine('twoperson', { dataDir });
    call = engineCaller(() => engine);
    connectionId = (await call('connections.add', { ...postgresConnection('Reference', db.url), readOnly: false })).id;
    const { connectionId: _c, confirmedAt: _t, ...map } = await call('compliance.proposeMap', { connectionId });
    await call('compliance.saveMap', { connectionId, map: { ...map, requireSecondApprover: true } });
    OPENER.operatorId = (await call('operators.enroll', { name: 'Olga Opener', passphrase: OPENER.passphrase })).id;
    SECOND.operatorId = (await call('operators.enroll', { name: 'Sam Second', passphrase: SECOND.passphrase, sponsor: OPENER })).id;
  }, 120_000);

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it("refuses a second operator minted without an existing operator's passphrase", async () => {
    await expect(call('operators.enroll', { name: 'Second Operator', passphrase: 'mallory-passphrase' })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(
      call('operators.enroll', {
        name: 'Second Operator',
        passphrase: 'mallory-passphrase',
        sponsor: { operatorId: OPENER.operatorId, passphrase: 'a-guess-at-olga' },
      }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    expect((await call('operators.list', {})).operators.map((o) => o.name)).toEqual(['Olga Opener', 'Sam Second']);
  });

  it('refuses the approval of the operator who opened the case, and the run stays refused', async () => {
    const { caseId, subject } = await openCase('SEC-1');
    const dry = await call('compliance.erase', { caseId, connectionId, actions: ['shred'], dryRun: true });
    await expect(call('compliance.approve', { caseId, approver: OPENER })).rejects.toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining('You opened this case'),
    });
    expect((await call('compliance.getCase', { caseId })).approval).toBeUndefined();
    await expect(call('compliance.erase', { caseId, connectionId, actions: ['shred'], confirmation: dry.confirmation, reason: 'OPS-1' })).rejects.toMatchObject(
      { code: 'forbidden' },
    );
    expect(await keysOf(subject)).toBe(1);
    // The passphrase never reaches the audit log.
    const audit = await call('audit.list', { limit: 200 });
    expect(JSON.stringify(audit)).not.toContain(OPENER.passphrase);
    expect(JSON.stringify(audit)).not.toContain(SECOND.passphrase);
  });

  it('refuses an approval by a name no operator registered, or with a wrong passphrase', async () => {
    const { caseId, subject } = await openCase('SEC-2');
    const dry = await call('compliance.erase', { caseId, connectionId, actions: ['shred'], dryRun: true });
    // The old form: a typed name was the whole approval.
    await expect(call('compliance.approve', { caseId, approver: 'second operator' } as never)).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(call('compliance.approve', { caseId, approver: { operatorId: 'op-second-operator', passphrase: 'anything-at-all' } })).rejects.toMatchObject({
      code: 'forbidden',
    });
    await expect(call('compliance.approve', { caseId, approver: { operatorId: SECOND.operatorId, passphrase: 'not-sams-passphrase' } })).rejects.toMatchObject({
      code: 'forbidden',
    });
    expect((await call('compliance.getCase', { caseId })).approval).toBeUndefined();
    await expect(call('compliance.erase', { caseId, connectionId, actions: ['shred'], confirmation: dry.confirmation, reason: 'OPS-1' })).rejects.toMatchObject(
      { code: 'forbidden' },
    );
    expect(await keysOf(subject)).toBe(1);
  });

  it('runs only the actions the signature covers: an extra action, or an approval edited on disk, is refused', async () => {
    const { caseId, subject } = await openCase('SEC-3');
    await call('compliance.erase', { caseId, connectionId, actions: ['purgeReadModels'], dryRun: true });
    await call('compliance.approve', { caseId, approver: SECOND });
    // A new dry run with one more action gives a valid confirmation, but the approval did not cover shredding.
    const wider = await call('compliance.erase', { caseId, connectionId, actions: ['shred', 'purgeReadModels'], dryRun: true });
    await expect(
      call('compliance.erase', { caseId, connectionId, actions: ['shred', 'purgeReadModels'], confirmation: wider.confirmation, reason: 'OPS-1' }),
    ).rejects.toMatchObject({ code: 'forbidden', message: expect.stringContaining('shred was not approved') });
    // Widening the recorded approval's list by hand breaks the signed digest.
    const file = join(dataDir, 'compliance', 'cases', `${caseId}.json`);
    const record = JSON.parse(await readFile(file, 'utf8')) as { approval: { actions: string[] } };
    record.approval.actions = ['shred', 'purgeReadModels'];
    await writeFile(file, JSON.stringify(record));
    // (each confirmation authorises one run, refused or not: preview again)
    const again = await call('compliance.erase', { caseId, connectionId, actions: ['shred', 'purgeReadModels'], dryRun: true });
    await expect(
      call('compliance.erase', { caseId, connectionId, actions: ['shred', 'purgeReadModels'], confirmation: again.confirmation, reason: 'OPS-1' }),
    ).rejects.toMatchObject({ code: 'forbidden', message: expect.stringContaining('this run differs') });
    expect(await keysOf(subject)).toBe(1);
    expect(await ordersOf(subject)).toBeGreaterThan(0);

    // What was approved runs.
    const exact = await call('compliance.erase', { caseId, connectionId, actions: ['purgeReadModels'], dryRun: true });
    await call('compliance.approve', { caseId, approver: SECOND });
    const run = await call('compliance.erase', { caseId, connectionId, actions: ['purgeReadModels'], confirmation: exact.confirmation, reason: 'OPS-1' });
    expect((await jobSettled(engine, run.jobId!)).state).toBe('done');
    expect(await ordersOf(subject)).toBe(0);
    expect(await keysOf(subject)).toBe(1);
  });

  it('refuses switching the rule off without a dry run and confirmation; a case opened under the rule keeps it', async () => {
    const { caseId, subject } = await openCase('SEC-4');
    const dry = await call('compliance.erase', { caseId, connectionId, actions: ['shred'], dryRun: true });
    const { connectionId: _c, confirmedAt: _t, ...map } = (await call('compliance.getMap', { connectionId })).map!;
    await expect(call('compliance.saveMap', { connectionId, map: { ...map, requireSecondApprover: false } })).rejects.toMatchObject({ code: 'forbidden' });
    await expect(call('compliance.setTwoPersonRule', { connectionId, enabled: false, reason: 'in a hurry' })).rejects.toMatchObject({
      code: 'confirmation_required',
    });
    expect((await call('compliance.getMap', { connectionId })).map!.requireSecondApprover).toBe(true);

    const preview = await call('compliance.setTwoPersonRule', { connectionId, enabled: false, reason: 'the team is one person for a week', dryRun: true });
    expect(preview.summary).toMatch(/open case\(s\) opened under the rule keep it/);
    expect((await call('compliance.getMap', { connectionId })).map!.requireSecondApprover).toBe(true);
    await call('compliance.setTwoPersonRule', {
      connectionId,
      enabled: false,
      reason: 'the team is one person for a week',
      confirmation: preview.confirmation,
    });
    expect((await call('compliance.getMap', { connectionId })).map!.requireSecondApprover).toBe(false);

    // The case opened under the rule still needs its second operator.
    expect((await call('compliance.getCase', { caseId })).twoPersonRule).toBe(true);
    await expect(call('compliance.erase', { caseId, connectionId, actions: ['shred'], confirmation: dry.confirmation, reason: 'OPS-1' })).rejects.toMatchObject(
      { code: 'forbidden' },
    );
    expect(await keysOf(subject)).toBe(1);
    const audit = await call('audit.list', { limit: 50 });
    expect(audit.records.find((e) => e.operation === 'compliance.setTwoPersonRule' && !e.dryRun && e.outcome === 'ok')).toMatchObject({
      reason: 'the team is one person for a week',
    });
  });
});
