import { describe, expect, it } from 'vitest';
import { resolveScope } from '../../../src-main/engine/rebuild/scope';
import type { StoredEventView } from '../../../src-main/stores/event-store';
import { MemoryEventStore } from '../stores/memory-event-store';

/** 2,500 streams (more than two listing pages): `acct-N` of category Account with two events each, `ord-N` of category Order with one. */
function store(): MemoryEventStore {
  const events: StoredEventView[] = [];
  let position = 0;
  const event = (streamId: string, category: string, version: number, type: string, minute: number): StoredEventView => ({
    streamId,
    category,
    version,
    type,
    position: String(++position),
    eventId: `e${position}`,
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
    data: {},
    metadata: {},
  });
  for (let i = 0; i < 1500; i++)
    events.push(event(`acct-${i}`, 'Account', 1, 'AccountOpened', i % 60), event(`acct-${i}`, 'Account', 2, 'MoneyDeposited', (i * 7) % 60));
  for (let i = 0; i < 1000; i++) events.push(event(`ord-${i}`, 'Order', 1, 'OrderPlaced', i % 60));
  return new MemoryEventStore().add(...events);
}

describe('resolving a partial rebuild scope to streams', () => {
  const memory = store();

  it('lists every stream of a category across pages, and of an id prefix', async () => {
    const accounts = await resolveScope(memory, { kind: 'category', category: 'Account' });
    expect(accounts.streamIds).toHaveLength(1500);
    expect(accounts.streamIds.every((id) => id.startsWith('acct-'))).toBe(true);
    expect((await resolveScope(memory, { kind: 'prefix', prefix: 'ord-1' })).streamIds).toHaveLength(111); // ord-1, ord-10..19, ord-100..199
  });

  it('finds the streams touched by a type in [from, to), each once', async () => {
    const resolved = await resolveScope(memory, { kind: 'types', eventTypes: ['MoneyDeposited'], from: '2026-01-01T00:10:00Z', to: '2026-01-01T00:20:00Z' });
    const expected = [...Array(1500).keys()]
      .filter((i) => (i * 7) % 60 >= 10 && (i * 7) % 60 < 20)
      .map((i) => `acct-${i}`)
      .sort();
    expect(resolved.streamIds).toEqual(expected);
    expect(resolved.eventsRead).toBe(expected.length);
  });

  it('refuses past the stream limit or the event limit, advising a full rebuild', async () => {
    await expect(resolveScope(memory, { kind: 'category', category: 'Order' }, { streamLimit: 999 })).rejects.toMatchObject({
      code: 'invalid_input',
      message:
        'The streams of category Order are more than 999 streams: narrow the scope, or run a full rebuild (it replays the whole feed in large batches, faster than stream by stream at this size).',
    });
    await expect(
      resolveScope(
        memory,
        { kind: 'types', eventTypes: ['AccountOpened', 'MoneyDeposited'], from: '2026-01-01T00:00:00Z', to: '2026-01-01T01:00:00Z' },
        { eventLimit: 2000 },
      ),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('More than 2,000 events of AccountOpened, MoneyDeposited fall between'),
    });
    expect((await resolveScope(memory, { kind: 'category', category: 'Order' }, { streamLimit: 1000 })).streamIds).toHaveLength(1000);
  });

  it('refuses a scope that names no stream', async () => {
    await expect(resolveScope(memory, { kind: 'category', category: 'Nothing' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('no stream matches'),
    });
  });
});
