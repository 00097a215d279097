import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateCopyBatches } from '../../../src-main/reference/generator/copy-format';
import { openField, isSealedField, type SubjectKey } from '../../../src-main/engine/personal-data/sealed-fields';
import { deciderFor } from '../../../src-main/reference/domain/registry';
import { upcast, type DomainEvent } from '../../../src-main/reference/events';
import { generateBatches, generateEvents } from '../../../src-main/reference/generator/generate';

function digest(options: Parameters<typeof generateBatches>[0]): string {
  const hash = createHash('sha256');
  for (const batch of generateBatches(options)) hash.update(JSON.stringify(batch));
  return hash.digest('hex');
}

function collect(options: Parameters<typeof generateBatches>[0]) {
  const events: DomainEvent[] = [];
  const keys: SubjectKey[] = [];
  let snapshots = 0;
  for (const batch of generateBatches(options)) {
    events.push(...batch.events);
    keys.push(...batch.subjectKeys);
    snapshots += batch.snapshots.length;
  }
  return { events, keys, snapshots };
}

describe('dataset generator', () => {
  it('is deterministic: the same seed gives the same bytes, another seed other data', () => {
    expect(digest({ events: 3_000, seed: 42 })).toBe(digest({ events: 3_000, seed: 42 }));
    expect(digest({ events: 3_000, seed: 42 })).not.toBe(digest({ events: 3_000, seed: 43 }));
  });

  it('produces exactly the requested number of events, in batches of the requested size', () => {
    const sizes = [...generateBatches({ events: 2_345, seed: 1, batchSize: 1_000 })].map((b) => b.events.length);
    expect(sizes).toEqual([1_000, 1_000, 345]);
    expect(collect({ events: 0 }).events).toHaveLength(0);
  });

  it('records valid histories: contiguous versions, ordered time, invariants that replay cleanly', () => {
    const { events } = collect({ events: 20_000, seed: 7, batchSize: 3_000 });
    const versions = new Map<string, number>();
    const states = new Map<string, unknown>();
    let lastTime = '';
    for (const event of events) {
      expect(event.version).toBe((versions.get(event.aggregateId) ?? 0) + 1);
      versions.set(event.aggregateId, event.version);
      expect(event.timestamp >= lastTime).toBe(true);
      lastTime = event.timestamp;
      if (event.aggregateType === 'Customer') continue; // personal data sealed; covered below
      const decider = deciderFor(event.aggregateType);
      states.set(event.aggregateId, decider.evolve(states.get(event.aggregateId) ?? decider.initialState(), event));
      if (event.aggregateType === 'Account') expect((states.get(event.aggregateId) as { balanceCents: number }).balanceCents).toBeGreaterThanOrEqual(0);
      if (event.aggregateType === 'Product') expect((states.get(event.aggregateId) as { stock: number }).stock).toBeGreaterThanOrEqual(0);
    }
    const types = new Set(events.map((e) => e.type));
    for (const t of [
      'ProductCreated',
      'PriceChanged',
      'StockAdjusted',
      'AccountOpened',
      'MoneyDeposited',
      'MoneyWithdrawn',
      'TransferSent',
      'TransferReceived',
      'OrderPlaced',
      'OrderShipped',
      'OrderDelivered',
      'OrderCancelled',
      'CustomerRegistered',
      'CustomerEmailChanged',
    ]) {
      expect(types, t).toContain(t);
    }
  });

  it('has realistic shapes: long streams, many short ones, cross-aggregate causal chains, months of time', () => {
    const { events, snapshots } = collect({ events: 20_000, seed: 3 });
    const lengths = new Map<string, number>();
    for (const e of events) lengths.set(e.aggregateId, (lengths.get(e.aggregateId) ?? 0) + 1);
    const sorted = [...lengths.values()].sort((a, b) => b - a);
    expect(sorted[0]).toBeGreaterThan(1_000);
    expect(sorted.filter((n) => n <= 5).length).toBeGreaterThan(500);
    const byId = new Map(events.map((e) => [e.eventId, e]));
    const crossAggregate = events.filter((e) => {
      const cause = byId.get(e.metadata.causationId);
      return cause && cause.aggregateId !== e.aggregateId && cause.metadata.correlationId === e.metadata.correlationId;
    });
    expect(crossAggregate.length).toBeGreaterThan(500);
    const spanDays = (Date.parse(events.at(-1)!.timestamp) - Date.parse(events[0]!.timestamp)) / 86_400_000;
    expect(spanDays).toBeGreaterThan(90);
    expect(snapshots).toBeGreaterThan(0);
  });

  it('seals customer personal data with per-customer keys and writes both schema versions', async () => {
    const { events, keys } = collect({ events: 10_000, seed: 5 });
    const keyById = new Map(keys.map((k) => [k.keyId, k]));
    const registrations = events.filter((e) => e.type === 'CustomerRegistered');
    expect(registrations.some((e) => e.metadata.schemaVersion === 1)).toBe(true);
    expect(registrations.some((e) => e.metadata.schemaVersion === 2)).toBe(true);
    for (const e of registrations.slice(0, 50)) {
      const key = keyById.get(e.metadata.subjectKeyId!)!;
      expect(key.subjectId).toBe(e.aggregateId);
      expect(isSealedField(e.data.email)).toBe(true);
      const open = Object.fromEntries(Object.entries(e.data).map(([f, v]) => [f, isSealedField(v) ? openField(v, key, f) : v]));
      const current = upcast({ ...e, data: open });
      expect(current.data).toMatchObject({ firstName: expect.any(String), lastName: expect.any(String), email: expect.stringContaining('@') });
    }
    let n = 0;
    for await (const batch of generateEvents({ events: 1_000, seed: 5 })) n += batch.events.length;
    expect(n).toBe(1_000);
  });

  it('streams batches at a useful rate (the bench measures the real figure)', () => {
    const started = performance.now();
    let n = 0;
    for (const batch of generateBatches({ events: 100_000, seed: 9 })) n += batch.events.length;
    const rate = n / ((performance.now() - started) / 1000);
    expect(rate).toBeGreaterThan(10_000);
  });

  it('serialises COPY batches deterministically: the same seed gives the same COPY bytes', () => {
    const text = (seed: number) => Buffer.concat([...generateCopyBatches({ events: 3_000, seed, batchSize: 700 })].map((b) => b.copy)).toString('utf8');
    const a = text(21);
    expect(a).toBe(text(21));
    expect(a).not.toBe(text(22));
    const lines = a.split('\n');
    expect(lines).toHaveLength(3_001);
    expect(lines[0]!.split('\t')).toHaveLength(8);
  });
});
