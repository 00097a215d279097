import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputOf, OperationName, ResultOf } from '../../../src-shared/operations';
import { createEngine, type Engine } from '../../../src-main/engine/engine';
import { secretEnvName } from '../../../src-main/engine/connections/secret-store';
import { CLASSIC_EVENTS_DDL } from '../../../src-main/stores/postgres/classic-schema';
import { postgresConnection, failOnOutputMismatch } from '../engine-support';
import { createTestDatabase, type TestDatabase } from '../reference/support';

/** A definition counting deposits of Account streams; `step` is how much each deposit adds. */
const counter = (step: number) => `
definition = {
  name: 'deposit-counter',
  appliesTo: { categories: ['Account'] },
  init: () => ({ deposits: 0 }),
  handlers: {
    MoneyDeposited(state) { return { deposits: state.deposits + ${step} }; },
  },
};
`;

/** User definitions on the real filesystem, through the engine's contract, over a real PostgreSQL store. */
describe('user projection definitions from a watched folder', () => {
  let db: TestDatabase;
  let dataDir: string;
  let folder: string;
  let engine: Engine;
  let connectionId: string | undefined;
  let connection: InputOf<'connections.add'>;

  const call = <N extends OperationName>(op: N, input: InputOf<N>, target = engine) =>
    target.dispatcher.run(op, input, { operationId: 't', signal: new AbortController().signal, emit: () => undefined, progress: () => undefined }) as Promise<ResultOf<N>>;
  const definitions = async () => (await call('timeTravel.definitions', {})).definitions;
  const entry = async (name: string) => (await definitions()).find((d) => d.name === name);
  const stateWith = (definition: string) => call('timeTravel.state', { connectionId: connectionId!, streamId: 'account-1', target: { version: 4 }, definition });

  /** Polls until `check` passes: the watcher fires after its debounce, on its own schedule. */
  async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (check(value)) return value;
      if (Date.now() > deadline) throw new Error(`still not there after ${timeoutMs} ms: ${JSON.stringify(value)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  // Browser mode keeps secrets in memory: a restarted engine reads the password from the environment.
  const newEngine = () => createEngine({ dataDir, mode: 'browser', log: () => undefined, onOutputMismatch: failOnOutputMismatch, env: connectionId ? { [secretEnvName(connectionId)]: connection.secret! } : {} });

  beforeAll(async () => {
    db = await createTestDatabase('userdefs');
    await db.pool.query(CLASSIC_EVENTS_DDL);
    const events: [string, number, unknown][] = [
      ['AccountOpened', 1, { ownerId: 'o-1', currency: 'EUR' }],
      ['MoneyDeposited', 2, { amountCents: 100, balanceCents: 100 }],
      ['MoneyDeposited', 3, { amountCents: 50, balanceCents: 150 }],
      ['MoneyWithdrawn', 4, { amountCents: 20, balanceCents: 130 }],
    ];
    for (const [type, version, data] of events) {
      await db.pool.query(`INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data) VALUES ($1, 'account-1', 'Account', $2, $3, $4)`, [randomUUID(), type, version, data]);
    }

    dataDir = await mkdtemp(join(tmpdir(), 'chrono-userdefs-'));
    folder = join(dataDir, 'my-definitions');
    await mkdir(folder);
    connection = postgresConnection('User definitions test', db.url);
    engine = newEngine();
    const view = await call('connections.add', connection);
    connectionId = view.id;
    await call('stores.configure', { connectionId: view.id, preset: 'classic' });
  });

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('lists a definition from the folder it is given, and records the change in the audit log', async () => {
    await writeFile(join(folder, 'counter.js'), counter(1));
    const { folder: status } = await call('timeTravel.setDefinitionsFolder', { path: folder, reason: 'ticket 42: custom account view' });
    expect(status).toEqual({ path: folder, state: 'watching' });
    expect(await entry('user:counter')).toMatchObject({
      source: 'user',
      file: join(folder, 'counter.js'),
      status: 'loaded',
      declaredName: 'deposit-counter',
      appliesToSummary: 'categories Account',
      handlerTypes: ['MoneyDeposited'],
    });
    // Built-ins are still there, with what they declare.
    expect(await entry('account')).toMatchObject({ source: 'builtin', status: 'loaded', appliesTo: { categories: ['Account'] } });
    const [record] = (await call('audit.list', { operation: 'timeTravel.setDefinitionsFolder' })).records;
    expect(record).toMatchObject({ reason: 'ticket 42: custom account view', outcome: 'ok', target: 'settings:definitions-folder' });
  });

  it('replays with the user definition by name, and "auto" prefers it for the category it declares', async () => {
    expect(await stateWith('user:counter')).toMatchObject({ state: { deposits: 2 }, version: 4, definition: 'user:counter', fromSnapshotVersion: 0 });
    expect(await stateWith('auto')).toMatchObject({ state: { deposits: 2 }, definition: 'user:counter' });
    expect(await stateWith('account')).toMatchObject({ state: { balanceCents: 130, status: 'open' }, definition: 'account' });
    const steps = await call('timeTravel.steps', { connectionId: connectionId!, streamId: 'account-1', fromVersion: 2, toVersion: 2, definition: 'user:counter' });
    expect(steps.steps[0]).toMatchObject({ before: { deposits: 0 }, after: { deposits: 1 } });
    const history = await call('timeTravel.fieldHistory', { connectionId: connectionId!, streamId: 'account-1', path: 'deposits', definition: 'user:counter' });
    expect(history.changes.map((c) => c.event.version)).toEqual([2, 3]);
  });

  it('reloads a saved file when the watcher fires, and tells subscribers', async () => {
    const controller = new AbortController();
    const revisions: number[] = [];
    const stream = engine.dispatcher.run('timeTravel.definitionsChanged', {}, { operationId: 's', signal: controller.signal, emit: (data) => revisions.push((data as { revision: number }).revision), progress: () => undefined });
    await eventually(async () => revisions.length, (n) => n === 1);
    const before = (await call('timeTravel.definitions', {})).revision;

    await writeFile(join(folder, 'counter.js'), counter(10));
    // The list changes without anyone asking for the definition: the watcher reloaded it.
    await eventually(() => call('timeTravel.definitions', {}), (r) => r.revision > before);
    await eventually(async () => revisions.at(-1) ?? 0, (latest) => latest > before);
    expect((await stateWith('user:counter')).state).toEqual({ deposits: 20 });

    controller.abort();
    await stream;
  });

  it('uses the saved content even before the watcher has fired', async () => {
    await writeFile(join(folder, 'counter.js'), counter(100));
    expect((await stateWith('user:counter')).state).toEqual({ deposits: 200 });
  });

  it('lists a file with a syntax error as an error with its line, and keeps the others', async () => {
    await writeFile(join(folder, 'broken.js'), "definition = {\n  name: 'broken',\n  init: () => ({}),,\n};\n");
    const broken = await eventually(() => entry('user:broken'), (e) => e !== undefined);
    expect(broken).toMatchObject({ status: 'error', error: { line: 3, message: expect.stringContaining('SyntaxError') } });
    expect(await entry('user:counter')).toMatchObject({ status: 'loaded' });
    await expect(stateWith('user:broken')).rejects.toMatchObject({ code: 'definition_error', message: expect.stringContaining('SyntaxError') });
  });

  it('refuses files that reach for require or process, saying they run in a sandbox', async () => {
    await writeFile(join(folder, 'reads-files.js'), "const fs = require('fs');\ndefinition = { name: 'x', init: () => ({}) };\n");
    await writeFile(join(folder, 'exits.js'), "definition = { name: 'y', init: () => ({}) };\nprocess.exit(1);\n");
    const readsFiles = await eventually(() => entry('user:reads-files'), (e) => e !== undefined);
    const exits = await eventually(() => entry('user:exits'), (e) => e !== undefined);
    expect(readsFiles).toMatchObject({ status: 'error', error: { line: 1, message: expect.stringMatching(/require is not defined.*sandbox/) } });
    expect(exits).toMatchObject({ status: 'error', error: { line: 2, message: expect.stringMatching(/process is not defined.*sandbox/) } });
    // The engine is fine: the other definitions still replay.
    expect((await stateWith('user:counter')).state).toEqual({ deposits: 200 });
  });

  it('forgets a deleted file and says clearly when a name is unknown', async () => {
    await rm(join(folder, 'exits.js'));
    await eventually(() => entry('user:exits'), (e) => e === undefined);
    await expect(stateWith('user:exits')).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining(folder) });
  });

  it('validates the folder it is given', async () => {
    // Browser mode has no folder dialog: the path is typed, and required.
    await expect(call('timeTravel.setDefinitionsFolder', {})).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringContaining('path') });
    await expect(call('timeTravel.setDefinitionsFolder', { path: 'relative/path' })).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringContaining('absolute') });
    await expect(call('timeTravel.setDefinitionsFolder', { path: join(dataDir, 'nowhere') })).rejects.toMatchObject({ code: 'not_found' });
    await expect(call('timeTravel.setDefinitionsFolder', { path: join(folder, 'counter.js') })).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringContaining('not a folder') });
    expect((await call('timeTravel.definitions', {})).folder).toEqual({ path: folder, state: 'watching' });
  });

  it('survives the folder disappearing and picks it up again when it returns', async () => {
    const moved = `${folder}-away`;
    await rm(moved, { recursive: true, force: true });
    await rename(folder, moved);
    const missing = await eventually(() => call('timeTravel.definitions', {}), (r) => r.folder?.state === 'missing');
    expect(missing.definitions.some((d) => d.source === 'user')).toBe(false);
    expect(missing.folder?.message).toContain('does not exist');
    await rename(moved, folder);
    const back = await eventually(() => call('timeTravel.definitions', {}), (r) => r.folder?.state === 'watching' && r.definitions.some((d) => d.name === 'user:counter'));
    expect(back.definitions.find((d) => d.name === 'user:counter')).toMatchObject({ status: 'loaded' });
  });

  it('keeps the folder in the data directory across restarts, until it is cleared', async () => {
    await engine.dispose();
    engine = newEngine();
    expect((await call('timeTravel.definitions', {})).folder).toEqual({ path: folder, state: 'watching' });
    expect(await entry('user:counter')).toMatchObject({ status: 'loaded' });
    expect(await call('timeTravel.clearDefinitionsFolder', { reason: 'done' })).toEqual({ folder: null });
    expect((await definitions()).filter((d) => d.source === 'user')).toEqual([]);
    await expect(stateWith('user:counter')).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('no definitions folder') });
    await engine.dispose();
    engine = newEngine();
    expect((await call('timeTravel.definitions', {})).folder).toBeNull();
  });
});
