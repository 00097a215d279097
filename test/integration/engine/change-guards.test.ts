/**
 * What the main process asks of every change, on a real PostgreSQL store: a destructive
 * real run says why (the `reason` field) or nothing runs, and a refusal on a read-only
 * profile names the profile and the action in words, not `id … checkpoints.reset`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { seedDemoWorkspace } from '../../../src-main/reference/demo/seed-demo';
import { readPostgresCheckpoint, writePostgresCheckpoint } from '../../../src-main/reference/projectors/checkpoints';
import { operations } from '../../../src-shared/operations';
import { CHANGE_WORDS } from '../../../src-shared/operation-words';
import { createTestEngine, engineCaller, postgresConnection, type Call } from '../engine-support';
import { createTestDatabase, type TestDatabase } from '../reference/support';

const KEY = (projector: string) => ({ store: 'projection_checkpoints', projector, source: 'events' });

describe('reasons and read-only refusals', () => {
  let db: TestDatabase;
  let engine: Engine;
  let call: Call;
  let writable: string;
  let readOnly: string;

  beforeAll(async () => {
    db = await createTestDatabase('change_guards');
    await seedDemoWorkspace(db.pool, { events: 300 });
    engine = await createTestEngine('change-guards');
    call = engineCaller(() => engine);
    writable = (await call('connections.add', { ...postgresConnection('Orders PG writable', db.url), readOnly: false })).id;
    readOnly = (await call('connections.add', postgresConnection('Orders PG', db.url))).id;
    for (const connectionId of [writable, readOnly]) await call('stores.configure', { connectionId, preset: 'classic', reason: 'test' });
    await writePostgresCheckpoint(db.pool, 'guarded', 'events', '10');
  }, 120_000);

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('refuses a destructive real run without a reason, naming the field, and changes nothing', async () => {
    const input = { connectionId: writable, key: KEY('guarded'), target: { kind: 'beginning' as const } };
    const preview = await call('checkpoints.reset', { ...input, dryRun: true });
    for (const reason of [undefined, '   ']) {
      await expect(
        call('checkpoints.reset', { ...input, confirmation: preview.confirmation, ...(reason === undefined ? {} : { reason }) }),
      ).rejects.toMatchObject({
        code: 'invalid_input',
        message: 'Say why before resetting a checkpoint: a reason ("reason") is required, and recorded in the audit log.',
        details: { problems: [{ field: 'reason', message: expect.any(String) }] },
      });
    }
    expect(await readPostgresCheckpoint(db.pool, 'guarded', 'events')).toBe('10');
    // The refusal did not spend the confirmation: with a reason the same preview runs.
    await call('checkpoints.reset', { ...input, confirmation: preview.confirmation, reason: 'OPS-7: replay guarded' });
    expect(await readPostgresCheckpoint(db.pool, 'guarded', 'events')).toBe('0');
    const [last] = (await call('audit.list', { operation: 'checkpoints.reset' })).records;
    expect(last).toMatchObject({ dryRun: false, outcome: 'ok', reason: 'OPS-7: replay guarded' });
  });

  it('has words for every destructive or store-changing operation', () => {
    const changing = Object.entries(operations)
      .filter(([, spec]) => ('destructive' in spec && spec.destructive) || spec.effect === 'target')
      .map(([name]) => name);
    expect(changing.filter((name) => !(name in CHANGE_WORDS))).toEqual([]);
  });

  it('words a read-only refusal with the profile name and the action', async () => {
    const preview = await call('checkpoints.reset', { connectionId: readOnly, key: KEY('guarded'), target: { kind: 'head' }, dryRun: true });
    const refusal = call('checkpoints.reset', {
      connectionId: readOnly,
      key: KEY('guarded'),
      target: { kind: 'head' },
      confirmation: preview.confirmation,
      reason: 'OPS-8',
    });
    await expect(refusal).rejects.toMatchObject({
      code: 'read_only',
      message: '"Orders PG" is read-only: resetting a checkpoint changes the store. Mark the profile read-write in Connections to do it.',
    });
  });
});
