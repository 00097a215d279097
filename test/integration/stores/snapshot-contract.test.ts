/**
 * The SnapshotStore contract, run for every preset that keeps snapshots and for custom
 * snapshot mappings, on each backend its layout lives on (PostgreSQL, PGlite, FerretDB).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from 'mongodb';
import type pg from 'pg';
import { StoreInputError } from '../../../src-main/stores/event-store';
import type { KnownPresetName } from '../../../src-shared/presets';
import { presetRecord } from '../../../src-main/stores/presets';
import { CompanionLayoutError, CompanionNotFoundError } from '../../../src-main/stores/ports/errors';
import { openSnapshots, type CompanionSource } from '../../../src-main/stores/ports/open-companions';
import type { ListSnapshotsOptions, SnapshotStore, SnapshotView } from '../../../src-main/stores/ports/snapshot-store';
import type { FixtureClient } from './checkpoint-fixtures';
import { createFixtureDatabase, type FixtureDatabase } from './companion-backends';
import { SNAPSHOT_FIXTURES, SNAPSHOTS } from './snapshot-fixtures';

// Times kept without a zone (Eventuous' `created`) are UTC: they must read the same on a machine in another zone.
const machineZone = process.env.TZ;
beforeAll(() => {
  process.env.TZ = 'America/New_York';
});
afterAll(() => {
  if (machineZone === undefined) delete process.env.TZ;
  else process.env.TZ = machineZone;
});

const CASES = SNAPSHOT_FIXTURES.flatMap((fixture) => fixture.backends.map((backend) => ({ backend, fixture, preset: fixture.label ?? fixture.preset })));

const clientOf = (client: FixtureClient): pg.Pool | Db => (client.kind === 'postgres' ? client.pool : client.db);

async function listAll(store: SnapshotStore, options: ListSnapshotsOptions): Promise<{ pages: number; snapshots: SnapshotView[] }> {
  const snapshots: SnapshotView[] = [];
  let after: string | undefined;
  let pages = 0;
  do {
    const page = await store.list({ ...options, ...(after ? { after } : {}) });
    expect(page.snapshots.length).toBeLessThanOrEqual(options.limit ?? 100);
    snapshots.push(...page.snapshots);
    after = page.nextCursor ?? undefined;
    pages += 1;
  } while (after && pages < 10);
  return { pages, snapshots };
}

describe.each(CASES)('SnapshotStore of $preset on $backend', ({ backend, fixture }) => {
  let db: FixtureDatabase;
  let record: CompanionSource;
  let store: SnapshotStore;
  const stored = fixture.onePerStream ? SNAPSHOTS.filter((s) => !(s.stream === 'account-1' && s.version === 5)) : SNAPSHOTS;
  const sid = fixture.streamId;
  /** The stored snapshots in (stream id, version) order, as the store shows them. */
  const ordered = stored
    .map((s) => ({ ...s, streamId: sid(s.stream) }))
    .sort((a, b) => (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : a.version - b.version));

  beforeAll(async () => {
    db = await createFixtureDatabase(backend, 'snapshots');
    record = fixture.source ?? presetRecord(fixture.preset as KnownPresetName)!;
    await fixture.setup(db.client, SNAPSHOTS);
    store = await openSnapshots(record, clientOf(db.client));
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('lists snapshots in keyset pages on (stream, version) with size, type and time', async () => {
    const { pages, snapshots } = await listAll(store, { limit: 2 });
    expect(pages).toBe(Math.ceil(ordered.length / 2));
    expect(snapshots.map((s) => [s.streamId, s.version])).toEqual(ordered.map((s) => [s.streamId, s.version]));
    const order = snapshots.find((s) => s.streamId === sid('order-1'))!;
    const account = snapshots.find((s) => s.streamId === sid('account-2'))!;
    expect(order.sizeBytes).toBeGreaterThan(2000);
    expect(account.sizeBytes).toBeGreaterThan(0);
    expect(account.sizeBytes).toBeLessThan(100);
    if (fixture.hasType) expect(order.streamType).toBe('order');
    if (fixture.hasTime) expect(new Date(order.takenAt!).toISOString()).toBe('2026-01-04T00:00:00.000Z');
    else expect(order.takenAt).toBeNull();
    await expect(store.list({ after: 'not a cursor!' })).rejects.toThrow(StoreInputError);
  });

  it('filters by stream type, prefix, age and size', async () => {
    const ids = async (options: ListSnapshotsOptions) => (await store.list(options)).snapshots.map((s) => s.streamId);
    expect(await ids({ minSizeBytes: 1000 })).toEqual([sid('order-1')]);
    expect(await ids({ maxSizeBytes: 1000 })).toEqual(ordered.filter((s) => s.stream !== 'order-1').map((s) => s.streamId));
    expect(await ids({ streamPrefix: sid('account-2') })).toEqual([sid('account-2')]);
    expect(await ids({ streamPrefix: '%' })).toEqual([]);
    if (fixture.hasType) expect(await ids({ streamType: 'order' })).toEqual([sid('order-1')]);
    else await expect(store.list({ streamType: 'order' })).rejects.toThrow(/keeps no stream type/);
    if (fixture.hasTime)
      expect((await store.list({ takenBefore: '2026-01-02T12:00:00Z' })).snapshots.map((s) => s.streamId).sort()).toEqual(
        ordered
          .filter((s) => s.takenAt < '2026-01-02T12')
          .map((s) => s.streamId)
          .sort(),
      );
    else await expect(store.list({ takenBefore: '2026-01-02T12:00:00Z' })).rejects.toThrow(/keeps no time of snapshot/);
  });

  it('reads one snapshot with its state, and none for an unknown one', async () => {
    const snapshot = await store.read({ streamId: sid('account-2'), version: 3 });
    expect(snapshot).toMatchObject({ streamId: sid('account-2'), version: 3, state: { balance: 3 } });
    expect(await store.read({ streamId: sid('account-2'), version: 4 })).toBeNull();
  });

  it('reads pages with states, counts by filter, and rewrites a snapshot in its own format', async () => {
    const first = await store.readPage({ limit: 2 });
    expect(first.snapshots.map((s) => [s.streamId, s.version])).toEqual(ordered.slice(0, 2).map((s) => [s.streamId, s.version]));
    expect(first.snapshots.every((s) => s.isJson && typeof s.state === 'object')).toBe(true);
    const rest = await store.readPage({ after: first.nextCursor! });
    expect(rest.snapshots).toHaveLength(ordered.length - 2);
    expect(await store.count({})).toBe(ordered.length);
    expect(await store.count({ streamPrefix: sid('account-2') })).toBe(1);
    expect(await store.count({ minSizeBytes: 1000 })).toBe(1);

    const key = { streamId: sid('account-2'), version: 3 };
    const before = (await store.read(key))!;
    expect(await store.write(key, { balance: 42, note: 'regenerated' })).toBe(true);
    const after = (await store.read(key))!;
    expect(after).toMatchObject({
      state: { balance: 42, note: 'regenerated' },
      isJson: true,
      streamType: before.streamType,
      schemaVersion: before.schemaVersion,
    });
    if (fixture.hasTime) expect(Date.parse(after.takenAt!)).toBeGreaterThan(Date.parse('2026-01-05T00:00:00Z'));
    expect(await store.write({ streamId: sid('account-2'), version: 99 }, { balance: 1 })).toBe(false);
    await store.write(key, before.state);
  });

  it('counts before deleting by filter, then deletes exactly that', async () => {
    await expect(store.deleteWhere({}, { dryRun: true })).rejects.toThrow(/Say which snapshots to delete/);
    expect(await store.deleteWhere({ minSizeBytes: 1000 }, { dryRun: true })).toEqual({ count: 1 });
    expect(await store.read({ streamId: sid('order-1'), version: 7 })).not.toBeNull();
    expect(await store.deleteWhere({ minSizeBytes: 1000 }, { dryRun: false })).toEqual({ count: 1 });
    expect(await store.read({ streamId: sid('order-1'), version: 7 })).toBeNull();
    expect((await store.list({})).snapshots).toHaveLength(ordered.length - 1);
  });

  it('deletes one snapshot, and says when there was none', async () => {
    expect(await store.delete({ streamId: sid('account-2'), version: 3 })).toBe(true);
    expect(await store.delete({ streamId: sid('account-2'), version: 3 })).toBe(false);
    expect(await store.read({ streamId: sid('account-2'), version: 3 })).toBeNull();
    expect((await store.list({})).snapshots.map((s) => s.streamId)).toEqual(ordered.filter((s) => s.stream === 'account-1').map((s) => s.streamId));
  });

  it('says clearly when the snapshot table is missing', async () => {
    const empty = await createFixtureDatabase(backend, 'snapshots_empty');
    try {
      const err = await openSnapshots(record, clientOf(empty.client)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CompanionNotFoundError);
      expect((err as Error).message).toMatch(/No snapshots of .* found\. (Table|Collection) .* does not exist/);
    } finally {
      await empty.drop();
    }
  });

  if (fixture.breakVersionType) {
    it('refuses a version column that is text', async () => {
      await fixture.breakVersionType!(db.client);
      const err = await openSnapshots(record, clientOf(db.client), { schema: 'textversion' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CompanionLayoutError);
      expect((err as Error).message).toMatch(/\(version\) is (text|varchar), not an integer type/);
    });
  }
});
