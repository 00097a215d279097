import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { createTestEngine, engineCaller } from '../engine-support';

describe('exports.saveCopy: a finished file of the exports folder saved where the system dialog says', () => {
  let engine: Engine | undefined;
  afterEach(async () => engine?.dispose());

  it('copies the named file to the chosen path, asks with its kind, and records who saved what', async () => {
    const target = await mkdtemp(join(tmpdir(), 'chrono-save-copy-'));
    const asked: Array<{ name: string; extensions: string[] }> = [];
    let answer: string | undefined = join(target, 'report.pdf');
    engine = await createTestEngine('save-copy', {
      mode: 'desktop',
      chooseSaveFile: async (name, filter) => {
        asked.push({ name, extensions: filter.extensions });
        return answer;
      },
    });
    const call = engineCaller(() => engine!);
    await mkdir(engine.exportsDir, { recursive: true });
    await writeFile(join(engine.exportsDir, 'erasure-report-c1.pdf'), '%PDF-1.3 test');

    expect(await call('exports.saveCopy', { fileName: 'erasure-report-c1.pdf' })).toEqual({ path: answer, bytes: 13 });
    expect(asked).toEqual([{ name: 'erasure-report-c1.pdf', extensions: ['pdf'] }]);
    expect(await readFile(answer, 'utf8')).toBe('%PDF-1.3 test');
    const { records } = await call('audit.list', { operation: 'exports.saveCopy' });
    expect(records.find((r) => r.outcome === 'ok')).toMatchObject({ target: 'file:erasure-report-c1.pdf' });

    // Cancelled dialog: nothing saved, said so.
    answer = undefined;
    await expect(call('exports.saveCopy', { fileName: 'erasure-report-c1.pdf' })).rejects.toMatchObject({ code: 'cancelled' });
    // Only plain names of finished files in the exports folder.
    for (const fileName of ['../settings.json', '.hidden', 'x/../../y.pdf', 'erasure-report-c1.pdf.part']) {
      await expect(call('exports.saveCopy', { fileName })).rejects.toMatchObject({ code: 'invalid_input' });
    }
    await expect(call('exports.saveCopy', { fileName: 'missing.pdf' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('is refused in browser mode, where the file is downloaded instead', async () => {
    engine = await createTestEngine('save-copy-browser');
    const call = engineCaller(() => engine!);
    await expect(call('exports.saveCopy', { fileName: 'feed.ndjson' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('downloaded'),
    });
  });
});
