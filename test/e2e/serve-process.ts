/**
 * The built browser-mode server (`node out/main/serve.js`, what `bun run serve`
 * runs) in a process of its own, so a test can stop and restart it for real.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../..');
const SERVE = join(REPO, 'out/main/serve.js');
const START_TIMEOUT_MS = 60_000;

export interface ServeProcess {
  /** The URL of its `Open:` line. */
  url: string;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  stop(): Promise<void>;
}

/** A port free right now, so that a restart can come back on the same one. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** The environment of the test, without a token of its own, plus `extra`. */
function environment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('CHRONOSCOPE_TOKEN' in extra)) delete env.CHRONOSCOPE_TOKEN;
  return env;
}

/** Starts `serve` and resolves once it prints its `Open:` line; rejects with its output if it exits first. */
export async function startServe(args: string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  if (!existsSync(SERVE)) throw new Error(`${SERVE} is missing: run \`ELECTRON_SKIP_BINARY_DOWNLOAD=1 ./node_modules/.bin/electron-vite build\` first.`);
  const child = spawn(process.execPath, [SERVE, ...args], { cwd: REPO, env: environment(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  child.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  const url = await new Promise<string>((resolveUrl, rejectUrl) => {
    const timer = setTimeout(() => rejectUrl(new Error(`serve printed no Open: line in ${START_TIMEOUT_MS} ms:\n${printed}`)), START_TIMEOUT_MS);
    const look = () => {
      const match = /^Open: (\S+)$/m.exec(printed);
      if (!match?.[1]) return;
      clearTimeout(timer);
      resolveUrl(match[1]);
    };
    child.stdout.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      rejectUrl(new Error(`serve exited (${code}) before printing its URL:\n${printed}`));
    });
  }).catch(async (error: unknown) => {
    await stopChild(child);
    throw error;
  });
  return { url, output: () => printed, stop: () => stopChild(child) };
}

/** Runs `serve` expecting it to refuse to start: its exit code and output. */
export async function serveRefusal(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [SERVE, ...args], { cwd: REPO, env: environment(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  child.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGTERM'), START_TIMEOUT_MS);
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  clearTimeout(timer);
  return { code, output: printed };
}

/** SIGTERM, as Ctrl-C or a service manager would; SIGKILL if it has not exited in 20 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}
