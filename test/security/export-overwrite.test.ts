/**
 * Exports and reports are new files: an events export cannot take the name of an erasure
 * report (nor replace it), a second export or report of the same name gets a numbered name,
 * and the audit log still vouches for the report it recorded.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src-main/engine/engine';
import { seedDemoWorkspace } from '../../src-main/reference/demo/seed-demo';
import { createTestEngine, engineCaller, jobSettled, postgresConnection, type Call } from '../integration/engine-support';
import { createTestDatabase, type TestDatabase } from '../integration/reference/support';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('exports and reports never replace a file', () => {
  let db: TestDatabase;
  let engine: Engine;
  let call: Call;
  let connectionId: string;
  let exportsDir: string;

  beforeAll(async () => {
    db = await createTestDatabase('sec_export');
    await seedDemoWorkspace(db.pool, { events: 300, seed: 5 });
    engine = await createTestEngine('sec-export');
    call = engineCaller(() => engine);
    exportsDir = join((await call('app.info', {})).dataDir, 'exports');
    connectionId = (await call('connections.add', { ...postgresConnection('Reference', db.url), readOnly: true })).id;
    const { connectionId: _c, confirmedAt: _t, ...map } = await call('compliance.proposeMap', { connectionId });
    await call('compliance.saveMap', { connectionId, map });
    await call('stores.configure', { connectionId, preset: 'classic', reason: 'test' });
  }, 120_000);
  /** A case about a subject no one is, searched (reports and access exports need an inventory). */
  const searchedCase = async (ticket: string) => {
    const opened = await call('compliance.createCase', {
      connectionId,
      subject: { by: 'id', value: 'customer-none' },
      ticket,
      requester: 'Dana',
      reason: 'test',
    });
    expect((await jobSettled(engine, (await call('compliance.search', { caseId: opened.id, connectionId })).jobId)).state).toBe('done');
    return opened;
  };

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('an export named like the erasure report is refused; the report and its audit record stay intact', async () => {
    const opened = await searchedCase('SEC-14');
    const report = await call('compliance.report', { caseId: opened.id });
    expect(basename(report.json)).toBe(`erasure-report-${opened.id}.json`);
    const before = await readFile(report.json, 'utf8');
    expect(sha256(before.replace(/\n$/, ''))).toBe(report.sha256);

    for (const fileName of [`erasure-report-${opened.id}.json`, `erasure-report-${opened.id}.html`, `ERASURE-REPORT-${opened.id}.json`, `access-SEC-14.json`]) {
      await expect(call('events.export', { connectionId, source: { kind: 'feed' }, format: 'ndjson', fileName }), fileName).rejects.toMatchObject({
        code: 'invalid_input',
        message: expect.stringContaining('kept for erasure reports and access exports'),
      });
    }
    expect(await readFile(report.json, 'utf8')).toBe(before);
    expect((await call('audit.verify', {})).ok).toBe(true);
    const { records } = await call('audit.list', { operation: 'compliance.reportChained' });
    expect(records.find((r) => r.seq === report.auditSeq)?.details).toMatchObject({ reportSha256: sha256(before.replace(/\n$/, '')) });

    // The report made again is a new pair of files; the first, which the audit log vouched for, is untouched.
    const again = await call('compliance.report', { caseId: opened.id });
    expect([basename(again.json), basename(again.html)]).toEqual([`erasure-report-${opened.id}-2.json`, `erasure-report-${opened.id}-2.html`]);
    expect(await readFile(report.json, 'utf8')).toBe(before);
  });

  it('a report never writes over a file already at its name, and its JSON and HTML keep one number', async () => {
    const opened = await searchedCase('SEC-14c');
    await mkdir(exportsDir, { recursive: true });
    const planted = join(exportsDir, `erasure-report-${opened.id}.json`);
    await writeFile(planted, '{"planted":true}\n');
    const report = await call('compliance.report', { caseId: opened.id });
    expect([basename(report.json), basename(report.html)]).toEqual([`erasure-report-${opened.id}-2.json`, `erasure-report-${opened.id}-2.html`]);
    expect(await readFile(planted, 'utf8')).toBe('{"planted":true}\n');
    expect(await readdir(exportsDir)).not.toContain(`erasure-report-${opened.id}.html`);
    expect(sha256((await readFile(report.json, 'utf8')).replace(/\n$/, ''))).toBe(report.sha256);
    expect((await call('compliance.getCase', { caseId: opened.id })).report).toMatchObject({ json: report.json, html: report.html });
  });

  it('an export whose name is taken gets a numbered name, and the file already there is untouched', async () => {
    const mine = 'do-not-touch.ndjson';
    await mkdir(exportsDir, { recursive: true });
    await writeFile(join(exportsDir, mine), 'precious\n');
    const first = await call('events.export', { connectionId, source: { kind: 'feed' }, format: 'ndjson', fileName: mine });
    expect(first.fileName).toBe('do-not-touch-2.ndjson');
    expect(first.path).toBe(join(exportsDir, 'do-not-touch-2.ndjson'));
    expect(first.events).toBeGreaterThan(0);
    const second = await call('events.export', { connectionId, source: { kind: 'feed' }, format: 'ndjson', fileName: mine });
    expect(second.fileName).toBe('do-not-touch-3.ndjson');
    expect(await readFile(join(exportsDir, mine), 'utf8')).toBe('precious\n');
    expect((await readFile(first.path, 'utf8')).split('\n').filter(Boolean)).toHaveLength(first.events);
    // No partial file is left behind.
    expect((await readdir(exportsDir)).filter((name) => name.endsWith('.part'))).toEqual([]);
  });

  it('an access export never writes into a folder that exists', async () => {
    const opened = await searchedCase('SEC-14b');
    const first = await call('compliance.export', { caseId: opened.id, connectionId });
    const second = await call('compliance.export', { caseId: opened.id, connectionId });
    expect(second.path).not.toBe(first.path);
    expect(await readdir(first.path)).toEqual(expect.arrayContaining(first.files));
    expect(await readdir(second.path)).toEqual(expect.arrayContaining(second.files));
  });
});
