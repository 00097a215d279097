// `bun run start`: the desktop app. Where the Electron binary was never downloaded
// (ELECTRON_SKIP_BINARY_DOWNLOAD, offline machines), say so in one sentence and
// point to browser mode instead of letting electron-vite fail with a stack trace.
import { spawn } from 'node:child_process';
/* global process, console */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The Electron executable, if its package and binary are on disk (read without `require('electron')`, which would try to download it). */
export function electronBinary(root = repo) {
  const pkg = join(root, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : 'electron';
  const binary = process.env.ELECTRON_OVERRIDE_DIST_PATH ? join(process.env.ELECTRON_OVERRIDE_DIST_PATH, name) : join(pkg, 'dist', name);
  return existsSync(binary) ? binary : null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!electronBinary()) {
    console.error('The Electron binary is not installed here, so the desktop app cannot start; run Chronoscope in your browser instead with: bun run serve');
    process.exit(1);
  }
  const child = spawn(join(repo, 'node_modules', '.bin', 'electron-vite'), ['preview', ...process.argv.slice(2)], { stdio: 'inherit', cwd: repo });
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
}
