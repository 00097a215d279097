import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';

const script = resolve(import.meta.dirname, '../../scripts/start-desktop.mjs');

it('bun run start without the Electron binary says so in one sentence and names the browser-mode command', () => {
  const emptyDist = mkdtempSync(join(tmpdir(), 'no-electron-'));
  const run = spawnSync(process.execPath, [script], { env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: emptyDist }, encoding: 'utf8' });
  expect(run.status).toBe(1);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).toContain('bun run serve');
  expect(run.stderr).not.toMatch(/\n\s+at /);
});
