/**
 * Attack: a definition that allocates memory outside the JavaScript heap (ArrayBuffers,
 * typed arrays, their copies). The workers' `resourceLimits` bound the V8 heap only: such
 * a definition took the process from 274 MB to 2.4 GB under a 64 MB limit, with no error.
 * Through the real sandboxes (and once through the engine's time travel), each variant
 * must end in a clear error naming the definition, this process's RSS (worker threads
 * included) must stay within the limit + 100 MB of where it was, and a plain definition
 * must work afterwards.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sandbox, SandboxError, userReadModel } from '../../src-main/engine/definitions';
import type { Engine } from '../../src-main/engine/engine';
import { CLASSIC_EVENTS_DDL } from '../../src-main/stores/postgres/classic-schema';
import type { StoredEventView } from '../../src-main/stores/event-store';
import { createTestEngine, engineCaller, postgresConnection } from '../integration/engine-support';
import { createTestDatabase, type TestDatabase } from '../integration/reference/support';

const LIMIT_MB = 64;
const MB = 1048576;
/** How far RSS may rise while an attack runs: the limit, plus 100 MB for the worker's isolate and noise. */
const RSS_BOUND_MB = LIMIT_MB + 100;

function event(version: number, type = 'E'): StoredEventView {
  return {
    streamId: 's-1',
    category: 's',
    version,
    eventId: `e${version}`,
    type,
    timestamp: '2026-01-01T00:00:00.000Z',
    data: {},
    metadata: {},
    position: String(version),
  };
}

/** Runs `work`, sampling this process's RSS every 10 ms: how far it rose above where it was (MB), and what `work` threw. */
async function rssRiseDuring(work: () => Promise<unknown>): Promise<{ riseMb: number; thrown: unknown }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  let thrown: unknown;
  try {
    await work();
  } catch (e) {
    thrown = e;
  } finally {
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage.rss());
  }
  return { riseMb: (peak - before) / MB, thrown };
}

/** A definition whose handler of `E` runs `body` (with `keep`, an array it never empties). */
const handlerRunning = (name: string, body: string) =>
  `var keep = [];\ndefinition = { name: '${name}', init: () => ({}), handlers: { E: (s) => { ${body}; return s; } } };`;

const COUNTER = `definition = { name: 'count', init: () => ({ n: 0 }), handlers: { E: (s) => ({ n: s.n + 1 }) } };`;

/** A plain definition still loads and folds. */
async function plainDefinitionWorks(): Promise<void> {
  const run = await Sandbox.start(COUNTER, 'count.js');
  try {
    expect((await run.apply([event(1), event(2)])).state).toEqual({ n: 2 });
  } finally {
    await run.close();
  }
}

/** Loads `source` under the 64 MB limit and applies three one-event batches; returns the failure. */
async function attackTimeTravel(source: string, name: string): Promise<{ riseMb: number; thrown: unknown }> {
  let run: Sandbox | undefined;
  const measured = await rssRiseDuring(async () => {
    run = await Sandbox.start(source, `${name}.js`, { memoryMb: LIMIT_MB, timeoutMs: 10_000 });
    for (let version = 1; version <= 3; version++) await run.apply([event(version)]);
  });
  await run?.close();
  return measured;
}

const stopped = (name: string) => `Definition "${name}" allocated more than ${LIMIT_MB} MB outside the JavaScript heap (ArrayBuffers); it was stopped.`;

/** Each way of making memory outside the heap, 200 x 16 MB (each filled, so the pages are real), and what the sandbox must answer. */
const VARIANTS: { name: string; body: string; error: string | RegExp }[] = [
  {
    name: 'array-buffers',
    body: `for (let i = 0; i < 200; i++) keep.push(new Uint8Array(new ArrayBuffer(16 * 1048576)).fill(1))`,
    error: stopped('array-buffers'),
  },
  { name: 'typed-arrays', body: `for (let i = 0; i < 200; i++) keep.push(new Float64Array(2 * 1048576).fill(1))`, error: stopped('typed-arrays') },
  {
    name: 'shared-buffers',
    body: `for (let i = 0; i < 200; i++) keep.push(new Uint8Array(new SharedArrayBuffer(16 * 1048576)).fill(1))`,
    error: stopped('shared-buffers'),
  },
  {
    name: 'buffer-slices',
    body: `const big = new Uint8Array(16 * 1048576).fill(1).buffer; for (let i = 0; i < 200; i++) keep.push(big.slice(0))`,
    error: stopped('buffer-slices'),
  },
  {
    // With no constructor, a typed array's slice falls back to the built-in's own constructor.
    name: 'species-slices',
    body: `const a = new Uint8Array(16 * 1048576); Object.defineProperty(a, 'constructor', { value: undefined }); for (let i = 0; i < 200; i++) keep.push(a.slice().fill(1))`,
    error: stopped('species-slices'),
  },
  {
    name: 'typed-from',
    body: `const src = new Uint8Array(16 * 1048576); for (let i = 0; i < 200; i++) keep.push(Uint8Array.from(src).fill(1))`,
    error: stopped('typed-from'),
  },
  {
    name: 'copies',
    body: `const a = new Uint8Array(16 * 1048576); for (let i = 0; i < 50; i++) keep.push(a.map((x) => 1), a.toReversed ? a.toReversed().fill(1) : a.map((x) => 1), new Uint8Array(a).fill(1), a.filter(() => true))`,
    error: stopped('copies'),
  },
  {
    // It catches each refusal and goes on: the run is stopped all the same.
    name: 'caught',
    body: `for (let i = 0; i < 200; i++) { try { keep.push(new Uint8Array(16 * 1048576).fill(1)); } catch (e) {} }`,
    error: stopped('caught'),
  },
  // 40 MB per batch, kept: the second batch's budget is what the first left.
  { name: 'held-across-batches', body: `keep.push(new Uint8Array(40 * 1048576).fill(1))`, error: stopped('held-across-batches') },
  {
    name: 'resizable',
    body: `const b = new ArrayBuffer(1, { maxByteLength: 4096 * 1048576 }); b.resize(3200 * 1048576); new Uint8Array(b).fill(1)`,
    error: /resizable and growable buffers are not available to definitions/,
  },
  {
    name: 'wasm-memory',
    body: `for (let i = 0; i < 200; i++) { const m = new WebAssembly.Memory({ initial: 256 }); keep.push(m); new Uint8Array(m.buffer).fill(1); }`,
    error: /threw ReferenceError: WebAssembly is not defined/,
  },
  // Host-only ways from strings to buffers: none is in the context.
  {
    name: 'text-encoder',
    body: `for (let i = 0; i < 200; i++) keep.push(new TextEncoder().encode('x'.repeat(16 * 1048576)))`,
    error: /threw ReferenceError: TextEncoder is not defined/,
  },
  { name: 'node-buffer', body: `for (let i = 0; i < 200; i++) keep.push(Buffer.alloc(16 * 1048576, 1))`, error: /threw ReferenceError: Buffer is not defined/ },
  {
    name: 'structured-clone',
    body: `const a = new Uint8Array(8 * 1048576); for (let i = 0; i < 200; i++) keep.push(structuredClone(a))`,
    error: /threw ReferenceError: structuredClone is not defined/,
  },
];

describe('a definition allocating outside the JavaScript heap (time travel sandbox)', () => {
  for (const variant of VARIANTS) {
    it(`stops ${variant.name} with a clear error, within ${RSS_BOUND_MB} MB of RSS, and runs a plain definition after`, async () => {
      const { riseMb, thrown } = await attackTimeTravel(handlerRunning(variant.name, variant.body), variant.name);
      expect(thrown).toBeInstanceOf(SandboxError);
      if (typeof variant.error === 'string') {
        expect((thrown as SandboxError).message).toBe(variant.error);
        expect((thrown as SandboxError).kind).toBe('memory');
      } else {
        expect((thrown as SandboxError).message).toMatch(variant.error);
      }
      expect(riseMb, `RSS rose ${riseMb.toFixed(0)} MB`).toBeLessThan(RSS_BOUND_MB);
      await plainDefinitionWorks();
    });
  }

  it('stops a definition allocating at load, before any event', async () => {
    const source = `var keep = []; for (let i = 0; i < 200; i++) keep.push(new Uint8Array(16 * 1048576).fill(1));\n${COUNTER}`;
    const { riseMb, thrown } = await attackTimeTravel(source, 'at-load');
    expect((thrown as SandboxError).message).toBe(stopped('at-load.js'));
    expect(riseMb).toBeLessThan(RSS_BOUND_MB);
    await plainDefinitionWorks();
  });

  it('cannot raise its own budget: the guard answers only the worker', async () => {
    const body = `for (let i = 0; i < 200; i++) { __externalMemory.begin(1e15, 'guess'); keep.push(new Uint8Array(16 * 1048576).fill(1)); }`;
    const { riseMb, thrown } = await attackTimeTravel(handlerRunning('raise', body), 'raise');
    expect((thrown as SandboxError).message).toBe(stopped('raise'));
    expect(riseMb).toBeLessThan(RSS_BOUND_MB);
  });

  it('lets a definition use typed arrays within the limit, their garbage collected across 300 batches', async () => {
    const source = `definition = { name: 'stats', init: () => ({ sum: 0 }), handlers: { E: (s, e) => {
      const xs = Float64Array.from([1, 2, 3, e.version]).map((x) => x * 2).filter((x) => x > 0).slice(1);
      const scratch = new Uint8Array(1024).fill(1);
      return { sum: s.sum + xs.reduce((a, b) => a + b, 0) + scratch.length - 1024 };
    } } };`;
    const run = await Sandbox.start(source, 'stats.js', { memoryMb: LIMIT_MB });
    try {
      let version = 0;
      let state: unknown;
      for (let batch = 0; batch < 300; batch++) {
        state = (await run.apply(Array.from({ length: 1000 }, () => event(++version)))).state;
      }
      // Each event adds 4 + 6 + 2 * version (2, 4, 6 and the version doubled, the first dropped).
      expect(state).toEqual({ sum: 10 * 300_000 + 300_000 * 300_001 });
    } finally {
      await run.close();
    }
  });
});

describe('a definition allocating outside the JavaScript heap (read-model sandbox)', () => {
  it('stops a read model allocating in apply, names it, and opens a plain one after', async () => {
    const bomb = `var keep = []; definition = { name: 'bomb', handles: { types: ['E'] }, key: (e) => e.streamId, apply: (row, e) => { for (let i = 0; i < 200; i++) keep.push(new Uint8Array(16 * 1048576).fill(1)); return { n: 1 }; } };`;
    const model = await userReadModel('bomb', bomb, { memoryMb: LIMIT_MB });
    const folder = await model.open();
    const batch = [event(1)];
    const { riseMb, thrown } = await rssRiseDuring(async () => {
      await folder.missingKeys(batch);
      await folder.apply(batch, new Map());
    });
    await folder.close();
    expect((thrown as Error).message).toBe(stopped('bomb'));
    expect(riseMb).toBeLessThan(RSS_BOUND_MB);

    const plain = await (
      await userReadModel(
        'plain',
        `definition = { name: 'plain', handles: { types: ['E'] }, key: (e) => e.streamId, apply: (row) => ({ n: (row ? row.n : 0) + 1 }) };`,
      )
    ).open();
    try {
      await plain.missingKeys(batch);
      expect([...(await plain.apply(batch, new Map()))]).toEqual([['s-1', { n: 1 }]]);
    } finally {
      await plain.close();
    }
  });
});

describe('a definition allocating outside the JavaScript heap (through the engine)', () => {
  let db: TestDatabase;
  let engine: Engine;
  let folder: string;
  let connectionId: string;
  const call = engineCaller(() => engine);

  beforeAll(async () => {
    db = await createTestDatabase('extmem');
    await db.pool.query(CLASSIC_EVENTS_DDL);
    for (const [type, version] of [
      ['AccountOpened', 1],
      ['MoneyDeposited', 2],
      ['MoneyDeposited', 3],
    ] as const) {
      await db.pool.query(
        `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data) VALUES ($1, 'account-1', 'Account', $2, $3, $4)`,
        [randomUUID(), type, version, type === 'AccountOpened' ? { ownerId: 'o-1', currency: 'EUR' } : { amountCents: 100, balanceCents: 100 * (version - 1) }],
      );
    }
    engine = await createTestEngine('extmem');
    folder = await mkdtemp(join(tmpdir(), 'chrono-extmem-defs-'));
    await writeFile(
      join(folder, 'hog.js'),
      `var keep = [];\ndefinition = { name: 'hog', appliesTo: { categories: ['Account'] }, init: () => ({}), handlers: { MoneyDeposited: (s) => { for (let i = 0; i < 200; i++) keep.push(new Uint8Array(16 * 1048576).fill(1)); return s; } } };`,
    );
    const looked = await call('timeTravel.setDefinitionsFolder', { path: folder });
    await call('timeTravel.setDefinitionsFolder', { path: folder, listingHash: looked.listing.listingHash });
    const view = await call('connections.add', postgresConnection('External memory test', db.url));
    connectionId = view.id;
    await call('stores.configure', { connectionId, preset: 'classic' });
  });

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it('answers a definition_error naming the definition, and the next replay works', async () => {
    const state = (definition: string) => call('timeTravel.state', { connectionId, streamId: 'account-1', target: { version: 3 }, definition });
    const { riseMb, thrown } = await rssRiseDuring(() => state('user:hog'));
    expect(thrown).toMatchObject({ code: 'definition_error', message: stopped('hog') });
    expect(riseMb).toBeLessThan(RSS_BOUND_MB);
    expect(await state('account')).toMatchObject({ state: { balanceCents: 200, status: 'open' }, version: 3 });
  });
});
