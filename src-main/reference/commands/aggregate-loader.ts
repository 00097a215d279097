import type { PersonalDataCodec } from '../crypto/personal-data';
import { deciderFor, isSnapshottable } from '../domain/registry';
import { type AggregateType, type DomainEvent, upcast } from '../events';
import type { CommandEventStore } from '../store';

export interface LoadedAggregate<S = unknown> {
  state: S;
  version: number;
  /** Version of the snapshot the load started from (0 = full replay). */
  fromSnapshotVersion: number;
}

/** Turns a stored event into what deciders understand: decrypted, then upcast to the current schema. */
export async function readableEvent(event: DomainEvent, codec: PersonalDataCodec | undefined): Promise<DomainEvent> {
  return upcast(codec ? await codec.open(event) : event);
}

/**
 * Rebuilds an aggregate: the latest snapshot (if any) plus the events after it,
 * streamed in batches so a stream of a million events never sits in memory.
 */
export async function loadAggregate(
  store: CommandEventStore,
  aggregateType: AggregateType,
  aggregateId: string,
  options: { codec?: PersonalDataCodec; useSnapshots?: boolean } = {},
): Promise<LoadedAggregate> {
  const decider = deciderFor(aggregateType);
  let state = decider.initialState();
  let version = 0;
  if (options.useSnapshots !== false && isSnapshottable(aggregateType)) {
    const snapshot = await store.latestSnapshot(aggregateId);
    if (snapshot) {
      state = snapshot.state;
      version = snapshot.version;
    }
  }
  const fromSnapshotVersion = version;
  for await (const stored of store.readStream(aggregateId, version)) {
    if (stored.aggregateType !== aggregateType) {
      throw new Error(`Stream ${aggregateId} holds ${stored.aggregateType} events, not ${aggregateType}`);
    }
    const event = await readableEvent(stored, options.codec);
    state = decider.evolve(state, event);
    version = event.version;
  }
  return { state, version, fromSnapshotVersion };
}
