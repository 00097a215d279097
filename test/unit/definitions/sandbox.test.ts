import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MERGE_DEFINITION, definitionApplies } from '../../../src-main/engine/definitions/definitions';
import { Sandbox, SandboxError } from '../../../src-main/engine/definitions/sandbox';
import { accountDecider } from '../../../src-main/reference/domain/accounts';
import { upcast, type DomainEvent } from '../../../src-main/reference/events';
import type { StoredEventView } from '../../../src-main/stores/event-store';
import { encodeBatch } from '../../../src-main/stores/replay-wire';
import { generateAccountStream } from '../time-travel/memory-port';

const PROJECTIONS = join(process.cwd(), 'resources/projections');
const source = (name: string): string => readFileSync(join(PROJECTIONS, `${name}.js`), 'utf8');

const runs: Sandbox[] = [];
async function start(src: string, name: string, options: Parameters<typeof Sandbox.start>[2] = {}): Promise<Sandbox> {
  const run = await Sandbox.start(src, name, options);
  runs.push(run);
  return run;
}
afterEach(async () => {
  await Promise.all(runs.splice(0).map((r) => r.close()));
});

function event(version: number, type: string, data: unknown = {}, metadata: unknown = { schemaVersion: 1 }): StoredEventView {
  return { streamId: 'acc-1', category: 'Account', version, eventId: `e${version}`, type, timestamp: '2026-01-01T00:00:00.000Z', data, metadata };
}

/** A definition whose only handler, for event type E, has `body` at line 4 of the file. */
function badDefinition(body: string): string {
  return `definition = {\n  name: 'bad', init: () => ({ n: 0 }),\n  handlers: { E(state, event) {\n    ${body}\n    return state;\n  } },\n};\n`;
}

async function failure(body: string, options: Parameters<typeof Sandbox.start>[2] = {}): Promise<SandboxError> {
  const run = await start(badDefinition(body), 'bad.js', options);
  await run.apply([event(1, 'Other'), event(2, 'Other')]);
  const err = await run.apply([event(3, 'Other'), event(4, 'E'), event(5, 'Other')]).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SandboxError);
  expect(run.alive).toBe(false);
  await expect(run.apply([event(6, 'Other')])).rejects.toBeInstanceOf(SandboxError);
  return err as SandboxError;
}

async function nextRunStillWorks(): Promise<void> {
  const run = await start(source('account'), 'account.js');
  const { state } = await run.apply([
    event(1, 'AccountOpened', { ownerId: 'o', currency: 'EUR' }),
    event(2, 'MoneyDeposited', { amountCents: 7, balanceCents: 7 }),
  ]);
  expect(state).toEqual({ status: 'open', ownerId: 'o', currency: 'EUR', balanceCents: 7 });
}

describe('sandbox limits', () => {
  it('stops an infinite loop at the time limit and names the event', async () => {
    const started = Date.now();
    const err = await failure('while (true) {}', { timeoutMs: 500 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(/did not finish within 500 ms/);
    expect(err.event).toEqual({ streamId: 'acc-1', version: 4, type: 'E' });
    expect(err.message).toContain('at event E (stream acc-1, version 4)');
    await nextRunStillWorks();
  });

  it('stops a runaway loop hidden in a promise job', async () => {
    const err = await failure('Promise.resolve().then(() => { for (;;) {} });', { timeoutMs: 500 });
    expect(err.kind).toBe('timeout');
    await nextRunStillWorks();
  });

  it('kills the worker on a huge allocation and names the event', async () => {
    const err = await failure('const a = []; for (;;) a.push(new Array(1e6));', { memoryMb: 32, timeoutMs: 10_000 });
    expect(err.kind).toBe('memory');
    expect(err.message).toMatch(/ran out of memory \(limit 32 MB\)/);
    expect(err.event).toEqual({ streamId: 'acc-1', version: 4, type: 'E' });
    await nextRunStillWorks();
  });

  it('has no require', async () => {
    const err = await failure("require('fs');");
    expect(err.kind).toBe('handler');
    expect(err.message).toMatch(/ReferenceError: require is not defined at event E \(stream acc-1, version 4\) \(definition:bad\.js:4:\d+\)/);
    expect(err.line).toBe(4);
    await nextRunStillWorks();
  });

  it('has no process', async () => {
    const err = await failure('process.exit();');
    expect(err.message).toMatch(/ReferenceError: process is not defined/);
    await nextRunStillWorks();
  });

  it('cannot reach the host through constructors (no code generation from strings)', async () => {
    const viaEvent = await failure("event.constructor.constructor('return process')();");
    expect(viaEvent.message).toMatch(/EvalError: Code generation from strings disallowed/);
    const viaState = await failure("state.constructor.constructor('return process')().exit();");
    expect(viaState.message).toMatch(/EvalError: Code generation from strings disallowed/);
    const viaGlobal = await failure("globalThis.constructor.constructor('return process')();");
    expect(viaGlobal.message).toMatch(/EvalError: Code generation from strings disallowed/);
    const viaEval = await failure("eval('1');");
    expect(viaEval.message).toMatch(/EvalError/);
    await nextRunStillWorks();
  });

  it('rejects an escape attempt at load time, naming the line', async () => {
    const err = await Sandbox.start("\nthis.constructor.constructor('return process')();\ndefinition = {};", 'escape.js').then(
      () => undefined,
      (e: unknown) => e as SandboxError,
    );
    expect(err?.kind).toBe('definition');
    expect(err?.message).toMatch(/Definition escape\.js failed to load: EvalError: Code generation from strings disallowed.*\(definition:escape\.js:2:\d+\)/);
    expect(err?.line).toBe(2);
    await nextRunStillWorks();
  });

  it('names the event and the handler line when a handler throws', async () => {
    const err = await failure("if (event.version === 4) throw new Error('bad amount');");
    expect(err.kind).toBe('handler');
    expect(err.message).toBe('Definition bad threw Error: bad amount at event E (stream acc-1, version 4) (definition:bad.js:4:36)');
    expect(err.location).toBe('definition:bad.js:4:36');
    expect(err.event).toEqual({ streamId: 'acc-1', version: 4, type: 'E' });
    await nextRunStillWorks();
  });

  it('rejects an invalid definition and a handler returning undefined', async () => {
    await expect(Sandbox.start('definition = { name: "x" };', 'x.js')).rejects.toThrow(/definition.init must be a function/);
    await expect(Sandbox.start('definition = {', 'syntax.js')).rejects.toThrow(/SyntaxError/);
    const run = await start('definition = { name: "u", init: () => ({}), handlers: { E() {} } };', 'u.js');
    await expect(run.apply([event(1, 'E')])).rejects.toThrow(/the handler of E returned undefined/);
  });

  it('stops a loop at load time', async () => {
    await expect(Sandbox.start('for (;;) {}', 'loop.js', { timeoutMs: 300 })).rejects.toThrow(/did not finish loading within 300 ms/);
  });
});

describe('sandbox runs', () => {
  it('reproduces the reference account evolve on a generated stream, across batches, with steps', async () => {
    const { events, states } = generateAccountStream('acc-gen', 2500, 42);
    const run = await start(source('account'), 'account.js');
    expect(run.info).toMatchObject({ name: 'account', appliesTo: { categories: ['Account'] } });
    for (let i = 0; i < events.length; i += 1000) {
      const batch = events.slice(i, i + 1000);
      const result = await run.apply(batch, { steps: i === 1000 });
      expect(result.state).toEqual(states[i + batch.length]);
      if (i === 1000) {
        expect(result.steps).toHaveLength(batch.length);
        result.steps!.forEach((s, k) => {
          expect(s.before).toEqual(states[i + k]);
          expect(s.after).toEqual(states[i + k + 1]);
          expect(s.event.version).toBe(i + k + 1);
        });
      }
    }
    expect(await run.state()).toEqual(states[states.length - 1]);
    // The decider's fold of the same drafts.
    const folded = events.reduce((s, e) => accountDecider.evolve(s, { type: e.type, data: e.data } as never), accountDecider.initialState());
    expect(await run.state()).toEqual(folded);
  });

  it('starts from a given state and can be reset', async () => {
    const run = await start(source('account'), 'account.js', { initialState: { status: 'open', ownerId: 'o', currency: 'EUR', balanceCents: 100 } });
    expect((await run.apply([event(10, 'MoneyWithdrawn', { amountCents: 40, balanceCents: 60 })])).state).toMatchObject({ balanceCents: 60 });
    await run.reset();
    expect(await run.state()).toEqual(accountDecider.initialState());
  });

  it('runs the customer upcaster like the reference one', async () => {
    const run = await start(source('customer'), 'customer.js');
    const v1 = event(1, 'CustomerRegistered', { name: 'Ada King Lovelace', email: 'ada@example.com', address: null }, { schemaVersion: 1 });
    const { state } = await run.apply([v1, event(2, 'CustomerEmailChanged', { email: 'ada@new.example' })]);
    const reference = upcast({
      ...v1,
      aggregateId: 'c',
      aggregateType: 'Customer',
      metadata: { correlationId: 'c', causationId: 'c', userId: 'u', schemaVersion: 1 },
    } as unknown as DomainEvent);
    expect(reference.data).toMatchObject({ firstName: 'Ada King', lastName: 'Lovelace' });
    expect(state).toEqual({ status: 'registered', firstName: 'Ada King', lastName: 'Lovelace', email: 'ada@new.example', address: null });
  });

  it('returns the upcast event beside the stored one in steps, only where an upcaster ran', async () => {
    const run = await start(source('customer'), 'customer.js');
    const v1 = event(1, 'CustomerRegistered', { name: 'Ada Lovelace', email: 'ada@example.com', address: null }, { schemaVersion: 1 });
    const { steps } = await run.apply([v1, event(2, 'CustomerEmailChanged', { email: 'ada@new.example' }, { schemaVersion: 1 })], { steps: true });
    expect(steps![0]!.upcast).toEqual({
      type: 'CustomerRegistered',
      data: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', address: null },
      metadata: { schemaVersion: 2 },
    });
    expect(v1.data).toEqual({ name: 'Ada Lovelace', email: 'ada@example.com', address: null }); // the stored event is untouched
    expect(steps![1]!.upcast).toBeUndefined(); // no upcaster for this type
  });

  it('runs the product and order definitions', async () => {
    const product = await start(source('product'), 'product.js');
    const p = await product.apply([
      event(1, 'ProductCreated', { name: 'Lamp', sku: 'L1', priceCents: 100, stock: 3 }),
      event(2, 'PriceChanged', { priceCents: 120, previousPriceCents: 100 }),
      event(3, 'StockAdjusted', { delta: -1, stock: 2, reason: 'sold' }),
      event(4, 'ProductRenamed', { name: 'Big lamp', previousName: 'Lamp' }),
      event(5, 'ProductDiscontinued', { reason: 'old' }),
    ]);
    expect(p.state).toEqual({ status: 'discontinued', name: 'Big lamp', sku: 'L1', priceCents: 120, stock: 2 });
    const order = await start(source('order'), 'order.js');
    const o = await order.apply([
      event(1, 'OrderPlaced', {
        customerId: 'c',
        currency: 'EUR',
        lines: [
          { productId: 'p', quantity: 2, unitPriceCents: 5 },
          { productId: 'q', quantity: 3, unitPriceCents: 1 },
        ],
        totalCents: 13,
      }),
      event(2, 'OrderStatusUpdated', { status: 'packed', previousStatus: 'placed' }),
      event(3, 'OrderShipped', { carrier: 'x', trackingNumber: '1' }),
    ]);
    expect(o.state).toEqual({ status: 'shipped', customerId: 'c', currency: 'EUR', totalCents: 13, itemCount: 5 });
  });

  it('merges any stream generically', async () => {
    const run = await start(MERGE_DEFINITION.source, MERGE_DEFINITION.name);
    const { state } = await run.apply([
      event(1, 'A', { a: 1, nested: { x: 1, y: [1, 2] } }),
      event(2, 'B', { nested: { y: [3], z: null }, b: 'two' }),
      event(3, 'C', 'not an object'),
    ]);
    expect(state).toEqual({ a: 1, b: 'two', nested: { x: 1, y: [3], z: null } });
    expect(definitionApplies(run.info, { streamId: 'anything', category: null })).toBe(true);
  });

  it('tells which streams a definition applies to', () => {
    const info = { appliesTo: { categories: ['Account'], streamPrefix: 'acc-', types: ['AccountOpened'] } };
    expect(definitionApplies(info, { streamId: 'acc-1', category: 'Account' })).toBe(true);
    expect(definitionApplies(info, { streamId: 'acc-1', category: 'Order' })).toBe(false);
    expect(definitionApplies(info, { streamId: 'x-1', category: 'Account' })).toBe(false);
    expect(definitionApplies(info, { streamId: 'acc-1', category: 'Account', types: ['OrderPlaced'] })).toBe(false);
  });
});

describe('applyMany', () => {
  const COUNT = `definition = { name: 'count', init: () => ({ n: 0 }), handlers: { E: (s, e) => { if (e.data.boom) throw new Error('boom at ' + e.version); return { n: s.n + 1 }; } } };`;
  const item = (streamId: string, versions: number[], reset: boolean, state: boolean, boomAt?: number) => {
    const events = versions.map((v) => ({ ...event(v, 'E', v === boomAt ? { boom: true } : {}), streamId }));
    const batch = encodeBatch(events);
    const header = batch.slice(1, batch.indexOf(',"e":'));
    return {
      header,
      events: batch.slice(batch.indexOf(',"e":') + 5, -1),
      refs: events.map((e) => ({ streamId, version: e.version, type: e.type })),
      reset,
      state,
    };
  };

  it('folds many streams in one call, each from init() when asked, with a state only where asked', async () => {
    const run = await start(COUNT, 'count');
    const out = await run.applyMany([item('a', [1, 2, 3], true, true), item('b', [1, 2], true, false), item('b', [3], false, true), item('c', [], true, true)]);
    expect(out).toEqual([{ ok: true, state: { n: 3 } }, { ok: true }, { ok: true, state: { n: 3 } }, { ok: true, state: { n: 0 } }]);
  });

  it("keeps a handler's error to its stream, skips the stream's later items in this call and the next, and stays usable", async () => {
    const run = await start(COUNT, 'count');
    const first = await run.applyMany([item('a', [1, 2], true, true, 2), item('a', [3], false, true), item('b', [1], true, true)]);
    expect(first[0]).toMatchObject({
      ok: false,
      error: expect.objectContaining({ kind: 'handler', message: expect.stringMatching(/boom at 2 at event E \(stream a, version 2\)/) }),
    });
    expect(first[1]).toEqual({ ok: false, skipped: true });
    expect(first[2]).toEqual({ ok: true, state: { n: 1 } });
    const failing = await run.applyMany([item('c', [1], true, true, 1)]);
    expect(failing[0]).toMatchObject({ ok: false });
    // The next call continues stream c: skipped, since c failed; a new stream starts clean.
    expect(await run.applyMany([item('c', [2], false, true), item('d', [1, 2], true, true)])).toEqual([
      { ok: false, skipped: true },
      { ok: true, state: { n: 2 } },
    ]);
    expect(run.alive).toBe(true);
  });

  it('rejects the whole call when it runs out of time, naming the event', async () => {
    const run = await start(badDefinition('while (true) {}'), 'bad', { timeoutMs: 200 });
    await expect(run.applyMany([item('a', [], true, true), item('b', [1], true, true)])).rejects.toMatchObject({
      kind: 'timeout',
      message: expect.stringMatching(/stream b, version 1/),
    });
    expect(run.alive).toBe(false);
  });
});
