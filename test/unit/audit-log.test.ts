import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, type AuditEntry } from '../../src-main/engine/audit/audit-log';

function entry(n: number, extra: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    user: 'alice',
    operation: n % 2 ? 'connections.add' : 'connections.update',
    target: `connection:c${n}`,
    reason: `ticket OPS-${n}`,
    dryRun: false,
    outcome: 'ok',
    ...extra,
  };
}

describe('audit log', () => {
  let dir: string;
  let log: AuditLog;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chrono-audit-'));
    log = new AuditLog(dir);
    for (let i = 1; i <= 5; i += 1) await log.append(entry(i));
  });

  const lines = async () => (await readFile(join(dir, 'audit.jsonl'), 'utf8')).trimEnd().split('\n');

  it('chains records and verifies an untouched log', async () => {
    const report = await log.verify();
    expect(report).toMatchObject({ ok: true, checked: 5, problems: [] });
    const records = (await lines()).map((l) => JSON.parse(l));
    expect(records[1].prevHash).toBe(records[0].hash);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('continues the chain after a restart', async () => {
    const reopened = new AuditLog(dir);
    const record = await reopened.append(entry(6));
    expect(record.seq).toBe(6);
    expect((await reopened.verify()).ok).toBe(true);
  });

  it('detects an edited record', async () => {
    const all = await lines();
    all[2] = all[2]!.replace('ticket OPS-3', 'ticket OPS-999');
    await writeFile(join(dir, 'audit.jsonl'), `${all.join('\n')}\n`);
    const report = await log.verify();
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual(expect.objectContaining({ seq: 3, problem: expect.stringContaining('modified') }));
  });

  it('detects a deleted record in the middle', async () => {
    const all = await lines();
    all.splice(1, 1);
    await writeFile(join(dir, 'audit.jsonl'), `${all.join('\n')}\n`);
    const report = await log.verify();
    expect(report.ok).toBe(false);
    expect(report.problems[0]?.problem).toMatch(/expected record 2, found 3/);
  });

  it('detects the last records being deleted', async () => {
    const all = await lines();
    await writeFile(join(dir, 'audit.jsonl'), `${all.slice(0, 3).join('\n')}\n`);
    const report = await log.verify();
    expect(report.ok).toBe(false);
    expect(report.problems.at(-1)?.problem).toMatch(/ends at record 3 but 5 were written/);
  });

  it('detects a record rewritten with a recomputed hash (the chain breaks at the next one)', async () => {
    const all = (await lines()).map((l) => JSON.parse(l));
    const { createHash } = await import('node:crypto');
    const { canonicalJson } = await import('../../src-main/engine/util/canonical-json');
    const forged = { ...all[1], reason: 'nothing to see' };
    delete forged.hash;
    forged.hash = createHash('sha256').update(forged.prevHash).update('\n').update(canonicalJson(forged)).digest('hex');
    all[1] = forged;
    await writeFile(join(dir, 'audit.jsonl'), `${all.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const report = await log.verify();
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual(expect.objectContaining({ seq: 3, problem: expect.stringContaining('chain is broken') }));
  });

  it('lists newest first with keyset pages and filters', async () => {
    const page1 = await log.list({ limit: 2 });
    expect(page1.records.map((r) => r.seq)).toEqual([5, 4]);
    expect(page1.nextBeforeSeq).toBe(4);
    const page2 = await log.list({ limit: 2, beforeSeq: page1.nextBeforeSeq });
    expect(page2.records.map((r) => r.seq)).toEqual([3, 2]);
    const last = await log.list({ limit: 2, beforeSeq: page2.nextBeforeSeq });
    expect(last.records.map((r) => r.seq)).toEqual([1]);
    expect(last.nextBeforeSeq).toBeUndefined();
    expect((await log.list({ limit: 10, operation: 'connections.update' })).records.map((r) => r.seq)).toEqual([4, 2]);
    expect((await log.list({ limit: 10, text: 'ops-3' })).records.map((r) => r.seq)).toEqual([3]);
  });

  it('serialises concurrent appends into one unbroken chain', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(entry(10 + i))));
    const report = await log.verify();
    expect(report).toMatchObject({ ok: true, checked: 25 });
  });
});
