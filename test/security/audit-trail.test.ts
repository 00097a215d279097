/**
 * Attacks on the audit log: a change that lands with no record (the audit write
 * fails, or the process dies between the change and its record), and a log whose
 * records were deleted and the rest re-chained so that the chain looks intact.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src-main/engine/audit/audit-log';
import { canonicalJson } from '../../src-main/engine/util/canonical-json';
import { seedDemoWorkspace } from '../../src-main/reference/demo/seed-demo';
import { readPostgresCheckpoint, writePostgresCheckpoint } from '../../src-main/reference/projectors/checkpoints';
import type { Call } from '../integration/engine-support';
import { restartableStore, type RestartableStore } from './restartable-store';

const KEY = (projector: string) => ({ store: 'projection_checkpoints', projector, source: 'events' });

describe('a change never lands without its audit record (PostgreSQL checkpoints)', () => {
  let store: RestartableStore;
  const call: Call = (op, input) => store.call(op, input);
  const auditFile = () => join(store.dataDir, 'audit', 'audit.jsonl');

  beforeAll(async () => {
    store = await restartableStore('attack_audit', async (pool) => void (await seedDemoWorkspace(pool, { events: 600 })));
  }, 120_000);

  afterAll(() => store?.close());

  it('does not run a change whose intent cannot be written', async () => {
    await writePostgresCheckpoint(store.db.pool, 'unrecorded', 'events', '100');
    const input = { connectionId: store.connectionId, key: KEY('unrecorded'), target: { kind: 'position' as const, position: '7' }, reason: 'audit attack' };
    const preview = await call('checkpoints.reset', { ...input, dryRun: true });
    // The log becomes unwritable (a full disk, a file replaced by a folder).
    await rename(auditFile(), `${auditFile()}.saved`);
    await mkdir(auditFile());
    try {
      await expect(call('checkpoints.reset', { ...input, confirmation: preview.confirmation })).rejects.toThrow();
      expect(await readPostgresCheckpoint(store.db.pool, 'unrecorded', 'events')).toBe('100');
    } finally {
      await rm(auditFile(), { recursive: true });
      await rename(`${auditFile()}.saved`, auditFile());
    }
    expect((await call('audit.verify', {})).ok).toBe(true);
  });

  it('shows a change whose outcome was never recorded as "outcome unknown" after a restart, and verify still holds', async () => {
    await writePostgresCheckpoint(store.db.pool, 'crashed', 'events', '200');
    const input = {
      connectionId: store.connectionId,
      key: KEY('crashed'),
      target: { kind: 'position' as const, position: '9' },
      reason: 'crash between change and record',
    };
    const preview = await call('checkpoints.reset', { ...input, dryRun: true });
    // The process dies between the change and its record: every later write of the log fails.
    const { audit } = store.engine();
    const append = audit.append.bind(audit);
    audit.append = async (entry) => (entry.outcome === 'pending' ? append(entry) : Promise.reject(new Error('killed')));
    await expect(call('checkpoints.reset', { ...input, confirmation: preview.confirmation })).rejects.toMatchObject({
      message: expect.stringContaining('outcome could not be written'),
    });
    expect(await readPostgresCheckpoint(store.db.pool, 'crashed', 'events')).toBe('9');
    await store.restart();
    const unknown = (await call('audit.list', { outcome: 'unknown' })).records;
    expect(unknown).toEqual([
      expect.objectContaining({ operation: 'checkpoints.reset', reason: 'crash between change and record', intentSeq: expect.any(Number) }),
    ]);
    expect(String(unknown[0]!.details?.message)).toMatch(/stopped after starting this change/);
    // Checked against its target at start: the intent recorded the confirmed target.
    expect(String(unknown[0]!.details?.message)).toMatch(/the checkpoint holds 9, the confirmed target, so the reset was most likely applied/);
    const verified = await call('audit.verify', {});
    expect(verified).toMatchObject({ ok: true, unknownOutcomes: 1 });
    // A restart answers an intent once.
    await store.restart();
    expect((await call('audit.list', { outcome: 'unknown' })).records).toHaveLength(1);
  });
});

describe('the audit chain cannot be rewritten without its key', () => {
  it('detects records deleted and the rest re-chained with plain SHA-256, head file included', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'chrono-attack-chain-')), 'audit');
    const log = new AuditLog(dir);
    const operations = ['connections.add', 'compliance.approve', 'compliance.erase', 'kafka.resetOffsets', 'settings.update'];
    for (const [i, operation] of operations.entries()) {
      await log.append({
        at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
        user: 'mallory',
        operation,
        target: `t${i}`,
        reason: 'r',
        dryRun: false,
        outcome: 'ok',
      });
    }
    const file = join(dir, 'audit.jsonl');
    const kept = (await readFile(file, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((record) => !['compliance.approve', 'kafka.resetOffsets'].includes(String(record.operation)));
    // Re-chain what is left as an attacker who can edit files but has no key would.
    let prevHash = '0'.repeat(64);
    const forged = kept.map((record, index) => {
      const base: Record<string, unknown> = { ...record, seq: index + 1, prevHash };
      delete base.hash;
      const hash = createHash('sha256').update(prevHash).update('\n').update(canonicalJson(base)).digest('hex');
      prevHash = hash;
      return { ...base, hash };
    });
    await writeFile(file, `${forged.map((r) => JSON.stringify(r)).join('\n')}\n`);
    await writeFile(join(dir, 'audit-head.json'), JSON.stringify({ seq: forged.length, hash: prevHash }));

    const report = await new AuditLog(dir).verify();
    expect(report.ok).toBe(false);
    expect(report.problems[0]?.problem).toMatch(/rewritten without its key/);
  });

  it('keys the chain with a key kept outside the log, readable by its owner only', async () => {
    const root = await mkdtemp(join(tmpdir(), 'chrono-attack-key-'));
    const log = new AuditLog(join(root, 'audit'));
    await log.append({ at: new Date().toISOString(), user: 'u', operation: 'settings.update', target: 't', reason: '', dryRun: false, outcome: 'ok' });
    const { stat } = await import('node:fs/promises');
    const key = await stat(join(root, 'audit-key.json'));
    expect(key.mode & 0o777).toBe(0o600);
    expect(await readFile(join(root, 'audit', 'audit.jsonl'), 'utf8')).not.toContain(JSON.parse(await readFile(join(root, 'audit-key.json'), 'utf8')).key);
    expect((await log.verify()).ok).toBe(true);
  });

  it('refuses a key file altered to have older records checked unkeyed, a key removed, or a key in clear where a key store seals it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'chrono-attack-keyfile-'));
    const keyFile = join(root, 'audit-key.json');
    const record = { at: new Date().toISOString(), user: 'u', operation: 'settings.update', target: 't', reason: '', dryRun: false, outcome: 'ok' as const };
    const log = new AuditLog(join(root, 'audit'));
    for (let i = 0; i < 3; i++) await log.append(record);
    const original = await readFile(keyFile, 'utf8');

    // Raising keyedFrom past the head would have every record checked with plain SHA-256, which anyone can recompute.
    await writeFile(keyFile, JSON.stringify({ ...JSON.parse(original), keyedFrom: 99 }));
    await expect(new AuditLog(join(root, 'audit')).verify()).rejects.toThrow(/was altered/);

    // Removing the key would have a new one made, under which a rewritten log verifies.
    await rm(keyFile);
    await expect(new AuditLog(join(root, 'audit')).verify()).rejects.toThrow(/key .* is missing/);
    await expect(new AuditLog(join(root, 'audit')).append(record)).rejects.toThrow(/is missing/);

    // A key in clear where the desktop's key store seals keys is one it never sealed.
    await writeFile(keyFile, original);
    const cipher = { encrypt: (plain: string) => Buffer.from(plain).toString('hex'), decrypt: (sealed: string) => Buffer.from(sealed, 'hex').toString() };
    await expect(new AuditLog(join(root, 'audit'), { cipher }).verify()).rejects.toThrow(/not sealed/);
    expect((await new AuditLog(join(root, 'audit')).verify()).ok).toBe(true);
  });
});
