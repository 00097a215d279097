import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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

/** Its top-level code throws: if it is ever evaluated, its catalog entry says "ran at load". */
const trap = (label: string) => `throw new Error('${label} ran at load');\n`;

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

/**
 * User definitions on the real filesystem, through the engine's contract, over a real PostgreSQL store.
 * Each test starts from its own data directory, folder and engine, and writes (and confirms) the files it needs.
 */
describe('user projection definitions from a watched folder', () => {
  let db: TestDatabase;
  let dataDir: string;
  let folder: string;
  let engine: Engine;
  let connectionId: string | undefined;
  let connection: InputOf<'connections.add'>;

  const call = <N extends OperationName>(op: N, input: InputOf<N>, target = engine) =>
    target.dispatcher.run(op, input, { operationId: 't', signal: new AbortController().signal, emit: () => undefined, progress: () => undefined }) as Promise<
      ResultOf<N>
    >;
  const definitions = async () => (await call('timeTravel.definitions', {})).definitions;
  const entry = async (name: string) => (await definitions()).find((d) => d.name === name);
  const stateWith = (definition: string) =>
    call('timeTravel.state', { connectionId: connectionId!, streamId: 'account-1', target: { version: 4 }, definition });
  /** What the user does in the dialog: look at the folder's files, then confirm that listing. */
  const lookAndConfirm = async (reason?: string) => {
    const looked = await call('timeTravel.setDefinitionsFolder', { path: folder });
    return call('timeTravel.setDefinitionsFolder', { path: folder, listingHash: looked.listing.listingHash, ...(reason ? { reason } : {}) });
  };

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
  const newEngine = () =>
    createEngine({
      dataDir,
      mode: 'browser',
      log: () => undefined,
      onOutputMismatch: failOnOutputMismatch,
      env: connectionId ? { [secretEnvName(connectionId)]: connection.secret! } : {},
    });

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
      await db.pool.query(
        `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data) VALUES ($1, 'account-1', 'Account', $2, $3, $4)`,
        [randomUUID(), type, version, data],
      );
    }

    connection = postgresConnection('User definitions test', db.url);
  });

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'chrono-userdefs-'));
    folder = join(dataDir, 'my-definitions');
    await mkdir(folder);
    connectionId = undefined;
    engine = newEngine();
    const view = await call('connections.add', connection);
    connectionId = view.id;
    await call('stores.configure', { connectionId: view.id, preset: 'classic' });
  });

  afterEach(async () => {
    await engine?.dispose();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  afterAll(async () => {
    await db?.drop();
  });

  /** Writes the files into the folder and confirms its listing, as a user would. */
  const confirmed = async (files: Record<string, string>) => {
    for (const [name, text] of Object.entries(files)) await writeFile(join(folder, name), text);
    await lookAndConfirm();
  };

  it('only lists the folder it is given: names, sizes and SHA-256, with nothing set, loaded or run', async () => {
    await writeFile(join(folder, 'counter.js'), counter(1));
    await writeFile(join(folder, 'trap.js'), trap('trap.js'));
    const looked = await call('timeTravel.setDefinitionsFolder', { path: folder, reason: 'ticket 42: custom account view' });
    expect(looked.confirmed).toBe(false);
    expect(looked.folder).toBeNull();
    const files = [
      { name: 'counter.js', size: (await stat(join(folder, 'counter.js'))).size, sha256: await sha256(join(folder, 'counter.js')) },
      { name: 'trap.js', size: (await stat(join(folder, 'trap.js'))).size, sha256: await sha256(join(folder, 'trap.js')) },
    ];
    expect(looked.listing).toEqual({
      path: folder,
      files,
      listingHash: createHash('sha256')
        .update(files.map((f) => `${f.name}\0${f.sha256}\n`).join(''))
        .digest('hex'),
    });
    // Neither file ran: no user definition is listed, none can be used.
    const listed = await call('timeTravel.definitions', {});
    expect(listed.folder).toBeNull();
    expect(listed.definitions.filter((d) => d.source === 'user')).toEqual([]);
    await expect(stateWith('user:counter')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('refuses a listing hash that no longer matches the folder, and runs nothing', async () => {
    const looked = await call('timeTravel.setDefinitionsFolder', { path: folder });
    await writeFile(join(folder, 'late.js'), trap('late.js'));
    await expect(call('timeTravel.setDefinitionsFolder', { path: folder, listingHash: looked.listing.listingHash })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('changed since they were listed: look at the list again'),
    });
    await expect(call('timeTravel.setDefinitionsFolder', { path: folder, listingHash: 'f'.repeat(64) })).rejects.toMatchObject({ code: 'conflict' });
    await expect(call('timeTravel.setDefinitionsFolder', { path: folder, listingHash: 'not-a-hash' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('listingHash'),
    });
    expect((await call('timeTravel.definitions', {})).folder).toBeNull();
    await rm(join(folder, 'late.js'));
  });

  it('runs the files of the listing the user confirmed, and records the change in the audit log', async () => {
    await writeFile(join(folder, 'counter.js'), counter(1));
    await writeFile(join(folder, 'trap.js'), trap('trap.js'));
    const { folder: status, confirmed, listing } = await lookAndConfirm('ticket 42: custom account view');
    expect(confirmed).toBe(true);
    expect(listing.files.map((f) => f.name)).toEqual(['counter.js', 'trap.js']);
    expect(status).toEqual({ path: folder, state: 'watching', listingHash: listing.listingHash });
    expect(await entry('user:counter')).toMatchObject({
      source: 'user',
      file: join(folder, 'counter.js'),
      status: 'loaded',
      declaredName: 'deposit-counter',
      appliesToSummary: 'categories Account',
      handlerTypes: ['MoneyDeposited'],
      sha256: await sha256(join(folder, 'counter.js')),
    });
    // Confirmed, so it ran: its load error shows it.
    expect(await entry('user:trap')).toMatchObject({ status: 'error', error: { message: expect.stringContaining('trap.js ran at load') } });
    await rm(join(folder, 'trap.js'));
    await eventually(
      () => entry('user:trap'),
      (e) => e === undefined,
    );
    // Built-ins are still there, with what they declare.
    expect(await entry('account')).toMatchObject({ source: 'builtin', status: 'loaded', appliesTo: { categories: ['Account'] } });
    const [record] = (await call('audit.list', { operation: 'timeTravel.setDefinitionsFolder' })).records;
    expect(record).toMatchObject({ reason: 'ticket 42: custom account view', outcome: 'ok', target: 'settings:definitions-folder' });
  });

  it('replays with the user definition by name, and "auto" prefers it for the category it declares', async () => {
    await confirmed({ 'counter.js': counter(1) });
    expect(await stateWith('user:counter')).toMatchObject({ state: { deposits: 2 }, version: 4, definition: 'user:counter', fromSnapshotVersion: 0 });
    expect(await stateWith('auto')).toMatchObject({ state: { deposits: 2 }, definition: 'user:counter' });
    expect(await stateWith('account')).toMatchObject({ state: { balanceCents: 130, status: 'open' }, definition: 'account' });
    const steps = await call('timeTravel.steps', {
      connectionId: connectionId!,
      streamId: 'account-1',
      fromVersion: 2,
      toVersion: 2,
      definition: 'user:counter',
    });
    expect(steps.steps[0]).toMatchObject({ before: { deposits: 0 }, after: { deposits: 1 } });
    const history = await call('timeTravel.fieldHistory', { connectionId: connectionId!, streamId: 'account-1', path: 'deposits', definition: 'user:counter' });
    expect(history.changes.map((c) => c.event.version)).toEqual([2, 3]);
  });

  it('holds a file saved after confirmation until it is confirmed again, and tells subscribers', async () => {
    await confirmed({ 'counter.js': counter(1) });
    const controller = new AbortController();
    const revisions: number[] = [];
    const stream = engine.dispatcher.run(
      'timeTravel.definitionsChanged',
      {},
      { operationId: 's', signal: controller.signal, emit: (data) => revisions.push((data as { revision: number }).revision), progress: () => undefined },
    );
    await eventually(
      async () => revisions.length,
      (n) => n === 1,
    );
    const before = (await call('timeTravel.definitions', {})).revision;

    await writeFile(join(folder, 'counter.js'), counter(10));
    // The watcher sees the change without anyone asking, and lists the file as awaiting confirmation.
    const changed = await eventually(
      () => call('timeTravel.definitions', {}),
      (r) => r.definitions.some((d) => d.name === 'user:counter' && d.status === 'unconfirmed'),
    );
    expect(changed.definitions.find((d) => d.name === 'user:counter')).toEqual({
      name: 'user:counter',
      source: 'user',
      file: join(folder, 'counter.js'),
      status: 'unconfirmed',
      awaiting: 'changed',
      size: (await stat(join(folder, 'counter.js'))).size,
      sha256: await sha256(join(folder, 'counter.js')),
      appliesToSummary: '',
      handlerTypes: [],
    });
    await eventually(
      async () => revisions.at(-1) ?? 0,
      (latest) => latest > before,
    );
    // Neither the new text nor the old one runs; "auto" no longer picks it.
    await expect(stateWith('user:counter')).rejects.toMatchObject({ code: 'confirmation_required', message: expect.stringContaining('confirm') });
    expect((await stateWith('auto')).definition).toBe('account');

    const { listing } = await call('timeTravel.confirmDefinitions', { listingHash: changed.folder!.listingHash!, reason: 'reviewed the step change' });
    expect(listing.files.map((f) => f.name)).toEqual(['counter.js']);
    expect((await stateWith('user:counter')).state).toEqual({ deposits: 20 });

    controller.abort();
    await stream;
  });

  it('never runs saved content before it is confirmed, even before the watcher has fired', async () => {
    await confirmed({ 'counter.js': counter(1) });
    await writeFile(join(folder, 'counter.js'), counter(100));
    await expect(stateWith('user:counter')).rejects.toMatchObject({ code: 'confirmation_required' });
    await lookAndConfirm();
    expect((await stateWith('user:counter')).state).toEqual({ deposits: 200 });
  });

  it('does not run a file added after confirmation until the folder is confirmed again', async () => {
    await confirmed({ 'counter.js': counter(1) });
    await writeFile(join(folder, 'added.js'), trap('added.js'));
    const added = await eventually(
      () => entry('user:added'),
      (e) => e !== undefined,
    );
    expect(added).toMatchObject({ status: 'unconfirmed', awaiting: 'new' });
    expect(added?.error).toBeUndefined();
    await expect(stateWith('user:added')).rejects.toMatchObject({ code: 'confirmation_required', message: expect.stringContaining('is new') });
    // A stale listing hash (from before the file came) confirms nothing.
    const stale = (await call('timeTravel.setDefinitionsFolder', { path: folder })).listing.listingHash;
    await writeFile(join(folder, 'added.js'), trap('added.js, edited'));
    await expect(call('timeTravel.confirmDefinitions', { listingHash: stale })).rejects.toMatchObject({ code: 'conflict' });
    expect(await entry('user:added')).toMatchObject({ status: 'unconfirmed' });
    await lookAndConfirm();
    expect(await entry('user:added')).toMatchObject({ status: 'error', error: { message: expect.stringContaining('added.js, edited ran at load') } });
    await rm(join(folder, 'added.js'));
    await eventually(
      () => entry('user:added'),
      (e) => e === undefined,
    );
  });

  it('lists a file with a syntax error as an error with its line, and keeps the others', async () => {
    await writeFile(join(folder, 'counter.js'), counter(1));
    await writeFile(join(folder, 'broken.js'), "definition = {\n  name: 'broken',\n  init: () => ({}),,\n};\n");
    await lookAndConfirm();
    const broken = await entry('user:broken');
    expect(broken).toMatchObject({ status: 'error', error: { line: 3, message: expect.stringContaining('SyntaxError') } });
    expect(await entry('user:counter')).toMatchObject({ status: 'loaded' });
    await expect(stateWith('user:broken')).rejects.toMatchObject({ code: 'definition_error', message: expect.stringContaining('SyntaxError') });
  });

  it('refuses files that reach for require or process, saying they run in a sandbox', async () => {
    await writeFile(join(folder, 'counter.js'), counter(100));
    await writeFile(join(folder, 'reads-files.js'), "const fs = require('fs');\ndefinition = { name: 'x', init: () => ({}) };\n");
    await writeFile(join(folder, 'exits.js'), "definition = { name: 'y', init: () => ({}) };\nprocess.exit(1);\n");
    await lookAndConfirm();
    const readsFiles = await entry('user:reads-files');
    const exits = await entry('user:exits');
    expect(readsFiles).toMatchObject({ status: 'error', error: { line: 1, message: expect.stringMatching(/require is not defined.*sandbox/) } });
    expect(exits).toMatchObject({ status: 'error', error: { line: 2, message: expect.stringMatching(/process is not defined.*sandbox/) } });
    // The engine is fine: the other definitions still replay.
    expect((await stateWith('user:counter')).state).toEqual({ deposits: 200 });
  });

  it('forgets a deleted file and says clearly when a name is unknown', async () => {
    await confirmed({ 'exits.js': "definition = { name: 'y', init: () => ({}) };\nprocess.exit(1);\n" });
    expect(await entry('user:exits')).toMatchObject({ status: 'error' });
    await rm(join(folder, 'exits.js'));
    await eventually(
      () => entry('user:exits'),
      (e) => e === undefined,
    );
    await expect(stateWith('user:exits')).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining(folder) });
  });

  it('validates the folder it is given', async () => {
    await confirmed({ 'counter.js': counter(1) });
    // Browser mode has no folder dialog: the path is typed, and required.
    await expect(call('timeTravel.setDefinitionsFolder', {})).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringContaining('path') });
    await expect(call('timeTravel.setDefinitionsFolder', { path: 'relative/path' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('absolute'),
    });
    await expect(call('timeTravel.setDefinitionsFolder', { path: join(dataDir, 'nowhere') })).rejects.toMatchObject({ code: 'not_found' });
    await expect(call('timeTravel.setDefinitionsFolder', { path: join(folder, 'counter.js') })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('not a folder'),
    });
    await expect(call('timeTravel.setDefinitionsFolder', { path: folder, listingHash: 'A'.repeat(64) })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('listingHash'),
    });
    await expect(call('timeTravel.confirmDefinitions', {} as never)).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('listingHash'),
    });
    await expect(call('timeTravel.confirmDefinitions', { listingHash: 'a'.repeat(64), path: '/tmp' } as never)).rejects.toMatchObject({
      code: 'invalid_input',
    });
    expect((await call('timeTravel.definitions', {})).folder).toMatchObject({ path: folder, state: 'watching' });
  });

  it('survives the folder disappearing and picks it up again when it returns', async () => {
    await confirmed({ 'counter.js': counter(1) });
    const moved = `${folder}-away`;
    await rm(moved, { recursive: true, force: true });
    await rename(folder, moved);
    const missing = await eventually(
      () => call('timeTravel.definitions', {}),
      (r) => r.folder?.state === 'missing',
    );
    expect(missing.definitions.some((d) => d.source === 'user')).toBe(false);
    expect(missing.folder?.message).toContain('does not exist');
    await rename(moved, folder);
    const back = await eventually(
      () => call('timeTravel.definitions', {}),
      (r) => r.folder?.state === 'watching' && r.definitions.some((d) => d.name === 'user:counter'),
    );
    expect(back.definitions.find((d) => d.name === 'user:counter')).toMatchObject({ status: 'loaded' });
  });

  it('keeps the folder and its confirmed files across restarts, and holds a file changed meanwhile', async () => {
    await confirmed({ 'counter.js': counter(1), 'broken.js': trap('broken.js') });
    await engine.dispose();
    await writeFile(join(folder, 'broken.js'), trap('broken.js, edited while stopped'));
    engine = newEngine();
    expect((await call('timeTravel.definitions', {})).folder).toMatchObject({ path: folder, state: 'watching' });
    expect(await entry('user:counter')).toMatchObject({ status: 'loaded' });
    expect(await entry('user:broken')).toMatchObject({ status: 'unconfirmed', awaiting: 'changed' });
    expect(await call('timeTravel.clearDefinitionsFolder', { reason: 'done' })).toEqual({ folder: null });
    expect((await definitions()).filter((d) => d.source === 'user')).toEqual([]);
    await expect(stateWith('user:counter')).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('no definitions folder') });
    await expect(call('timeTravel.confirmDefinitions', { listingHash: 'a'.repeat(64) })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('No definitions folder'),
    });
    await engine.dispose();
    engine = newEngine();
    expect((await call('timeTravel.definitions', {})).folder).toBeNull();
  });

  it('runs nothing from a folder saved before confirmation existed until the user confirms it', async () => {
    await writeFile(join(folder, 'counter.js'), counter(1));
    await writeFile(join(folder, 'broken.js'), trap('broken.js'));
    await engine.dispose();
    await writeFile(join(dataDir, 'definitions.json'), JSON.stringify({ version: 1, folder }));
    engine = newEngine();
    expect((await call('timeTravel.definitions', {})).folder).toMatchObject({ path: folder, state: 'watching' });
    expect(await entry('user:broken')).toMatchObject({ status: 'unconfirmed', awaiting: 'new' });
    expect(await entry('user:counter')).toMatchObject({ status: 'unconfirmed', awaiting: 'new' });
    await lookAndConfirm();
    expect(await entry('user:counter')).toMatchObject({ status: 'loaded' });
  });
});
