import { describe, expect, it } from 'vitest';
import { ReducerFolder, type RowReducer } from '../../../src-main/engine/rebuild/reducer-folder';
import type { ModelRow } from '../../../src-main/engine/rebuild/read-model';
import type { StoredEventView } from '../../../src-main/stores/event-store';

const event = (streamId: string, version: number): StoredEventView =>
  ({
    streamId,
    version,
    type: 'Counted',
    category: 'Counter',
    position: String(version),
    data: {},
    metadata: {},
    eventId: `${streamId}-${version}`,
    timestamp: null,
  }) as unknown as StoredEventView;

/** Counts events per stream, as a versioned row. */
const count: RowReducer = (row, e) => ({ id: e.streamId, version: e.version, count: Number(row?.['count'] ?? 0) + 1 });

/** What feed-fold does per batch: ask for missing keys, load them from the stored rows, apply, store the changes. */
async function foldBatch(folder: ReducerFolder, stored: Map<string, ModelRow>, batch: StoredEventView[]) {
  const keys = await folder.missingKeys(batch);
  const loaded = new Map(keys.flatMap((k) => (stored.has(k) ? [[k, stored.get(k)!] as const] : [])));
  for (const [key, row] of await folder.apply(batch, loaded)) if (row) stored.set(key, row);
}

describe('ReducerFolder row cache', () => {
  it('folds a stream whose row left the bounded cache between batches from its stored row', async () => {
    const folder = new ReducerFolder('counter', count, 2);
    const stored = new Map<string, ModelRow>();
    await foldBatch(folder, stored, [event('a', 1), event('b', 1), event('c', 1)]);
    // The cache now holds three rows, over its bound of two: the next batch starts from the stored rows.
    await foldBatch(folder, stored, [event('a', 2), event('d', 1)]);
    await foldBatch(folder, stored, [event('a', 3), event('b', 2)]);
    expect(stored.get('a')).toEqual({ id: 'a', version: 3, count: 3 });
    expect(stored.get('b')).toEqual({ id: 'b', version: 2, count: 2 });
    expect(stored.get('d')).toEqual({ id: 'd', version: 1, count: 1 });
  });

  it('keeps the previous generation of rows: a row used again soon is moved over, not read back', async () => {
    const folder = new ReducerFolder('counter', count, 4); // two generations of two rows
    const stored = new Map<string, ModelRow>();
    await foldBatch(folder, stored, [event('a', 1), event('b', 1), event('c', 1)]);
    // A new generation starts; a, b and c are the previous one.
    expect(await folder.missingKeys([event('a', 2), event('d', 1)])).toEqual(['d']);
    await folder.apply([event('a', 2), event('d', 1)], new Map());
    await foldBatch(folder, stored, [event('e', 1), event('f', 1)]);
    // Another generation: a, d, e and f are the previous one now, b is gone and read back.
    expect(await folder.missingKeys([event('b', 2), event('e', 2)])).toEqual(['b']);
    const changes = await folder.apply([event('b', 2), event('e', 2)], new Map([['b', stored.get('b')!]]));
    expect(changes.get('b')).toEqual({ id: 'b', version: 2, count: 2 });
    expect(changes.get('e')).toEqual({ id: 'e', version: 2, count: 2 });
  });

  it('still stops on a missing event of a stream', async () => {
    const folder = new ReducerFolder('counter', count, 2);
    const stored = new Map<string, ModelRow>();
    await foldBatch(folder, stored, [event('a', 1)]);
    await expect(foldBatch(folder, stored, [event('a', 3)])).rejects.toThrow(/row is at version 1: an earlier event of the stream is missing/);
  });
});
