import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DefinitionCatalog } from '../../../src-main/engine/definitions/definition-catalog';
import type { DefinitionSource } from '../../../src-main/engine/definitions/definitions';
import { stateAt } from '../../../src-main/engine/time-travel/reconstruct';
import { Sandbox } from '../../../src-main/engine/definitions/sandbox';
import { SandboxPool, type AcquireOptions } from '../../../src-main/engine/definitions/sandbox-pool';
import type { EventStores } from '../../../src-main/engine/browse/event-stores';
import { TimeTravelService } from '../../../src-main/engine/time-travel/service';
import type { EventStore, ReadStreamOptions } from '../../../src-main/stores/event-store';
import { MemoryPort, generateAccountStream } from '../time-travel/memory-port';
import { untilCondition } from '../../support/waiting';

const account: DefinitionSource = { name: 'account.js', source: readFileSync(join(process.cwd(), 'resources/projections/account.js'), 'utf8') };

/** A pool that remembers how many slots were ever held at once, and how many it granted. */
class WatchedPool extends SandboxPool {
  peak = 0;
  granted = 0;
  override async acquire(options?: AcquireOptions): Promise<() => void> {
    const release = await super.acquire(options);
    this.granted += 1;
    this.peak = Math.max(this.peak, this.active);
    return release;
  }
}

/** Resolves once `condition` holds, checked on every turn of the event loop (a pool settles within 4 s). */
const until = (condition: () => boolean, what: string) => untilCondition(condition, what, 4000);

/** Stream reads of the replay (never the service's first look at the stream) wait until `open` is called. */
function gatedStore(store: EventStore): { store: EventStore; open: () => void } {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  // Inherits from the store (its methods live on a class prototype, which a spread would drop).
  const gated = Object.create(store) as EventStore;
  gated.readStream = (streamId: string, options?: ReadStreamOptions) =>
    options?.fromVersion !== undefined ? gate.then(() => store.readStream(streamId, options)) : store.readStream(streamId, options);
  return { store: gated, open };
}

function service(store: EventStore, pool: SandboxPool): TimeTravelService {
  const stores = { get: async () => store, snapshotAtOrBefore: async () => undefined } as unknown as EventStores;
  const catalog = { resolve: async () => ({ name: 'account', source: account, origin: 'builtin' }) } as unknown as DefinitionCatalog;
  return new TimeTravelService(stores, catalog, undefined, pool);
}

describe('the sandbox worker pool', () => {
  it('runs 5 concurrent replays on at most 2 workers; the others say they are queued, and all finish right', async () => {
    const port = new MemoryPort();
    const states = new Map<string, unknown>();
    for (let i = 0; i < 5; i++) {
      const stream = generateAccountStream(`acc-${i}`, 300 + i * 50, i + 1);
      port.streams.set(`acc-${i}`, stream.events);
      states.set(`acc-${i}`, stream.states.at(-1));
    }
    const { store, open } = gatedStore(port.asStore());
    const pool = new WatchedPool(2);
    const timeTravel = service(store, pool);
    const messages = new Map<string, string[]>();
    const calls = [0, 1, 2, 3, 4].map((i) => {
      const streamId = `acc-${i}`;
      messages.set(streamId, []);
      const context = { signal: new AbortController().signal, progress: (p: { message?: string }) => messages.get(streamId)!.push(p.message ?? '') };
      return timeTravel.state('pg', streamId, { version: 10_000 }, 'account', false, context);
    });
    // The first two hold their workers (their reads wait at the gate) while three wait in line.
    await until(() => pool.queued === 3, 'three replays in line');
    expect(pool.active).toBe(2);
    open();
    const results = await Promise.all(calls);

    expect(pool.peak).toBe(2);
    expect(pool.granted).toBe(5);
    results.forEach((result, i) => expect(result).toMatchObject({ state: states.get(`acc-${i}`), version: 300 + i * 50 }));
    const queued = [...messages.values()].map((list) => list.filter((m) => m.startsWith('Queued')));
    expect(queued.filter((list) => list.length > 0)).toHaveLength(3);
    // The last in line is told its place as it moves up.
    expect(queued.find((list) => list[0] === 'Queued: 3 replays ahead')).toEqual([
      'Queued: 3 replays ahead',
      'Queued: 2 replays ahead',
      'Queued: 1 replay ahead',
    ]);
    // The queued ones went on to replay and report versions.
    for (const list of messages.values()) expect(list.at(-1)).toMatch(/^version \d+$/);
    await until(() => pool.active === 0, 'every worker to exit');
  });

  it('lets a queued replay be cancelled without ever starting its worker', async () => {
    const port = new MemoryPort();
    port.streams.set('acc-1', generateAccountStream('acc-1', 200, 3).events);
    const { store, open } = gatedStore(port.asStore());
    const pool = new WatchedPool(1);
    const running = stateAt(store, 'acc-1', { version: 200 }, account, { sandbox: { pool } });
    const places: number[] = [];
    const cancel = new AbortController();
    const waiting = stateAt(store, 'acc-1', { version: 200 }, account, { sandbox: { pool }, signal: cancel.signal, onQueued: (ahead) => places.push(ahead) });
    const behind: number[] = [];
    const third = stateAt(store, 'acc-1', { version: 100 }, account, { sandbox: { pool }, onQueued: (ahead) => behind.push(ahead) });
    await until(() => pool.queued === 2, 'two replays in line');
    cancel.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(places).toEqual([1]);
    expect(pool.queued).toBe(1);
    expect(behind).toEqual([2, 1]); // moved up when the one ahead left the line
    expect(pool.granted).toBe(1); // the cancelled replay never got a worker
    open();
    await expect(running).resolves.toMatchObject({ version: 200 });
    await expect(third).resolves.toMatchObject({ version: 100 });
    expect(pool.granted).toBe(2);
    expect(pool.peak).toBe(1);
  });

  it('frees the slot on every way a worker ends: closed, failed to load, failed in a handler, cancelled while loading', async () => {
    const pool = new SandboxPool(1);
    const run = await Sandbox.start(account.source, account.name, { pool });
    expect(pool.active).toBe(1);
    await run.close();
    expect(pool.active).toBe(0);

    await expect(Sandbox.start('definition = {', 'broken.js', { pool })).rejects.toThrow(/SyntaxError/);
    await until(() => pool.active === 0, 'the broken definition’s worker to exit');

    const failing = await Sandbox.start('definition = { name: "f", init: () => ({}), handlers: { X: () => { throw new Error("no"); } } };', 'f.js', { pool });
    await expect(
      failing.apply([{ streamId: 's', version: 1, type: 'X', data: {}, metadata: {}, timestamp: null, eventId: 'e', category: null }]),
    ).rejects.toThrow(/threw Error: no/);
    await until(() => pool.active === 0, 'the failed run’s worker to exit');

    const cancel = new AbortController();
    const loading = Sandbox.start('for (;;) {}', 'loop.js', { pool, timeoutMs: 10_000, signal: cancel.signal });
    await until(() => pool.active === 1, 'the loop’s worker to start');
    cancel.abort();
    await expect(loading).rejects.toMatchObject({ name: 'AbortError' });
    await until(() => pool.active === 0, 'the cancelled worker to exit');
  });
});
