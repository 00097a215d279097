import { describe } from 'vitest';
import type { StoredEventView } from '../../../src-main/stores/event-store';
import { eventStoreContract } from '../../integration/stores/event-store-contract';
import { EVENTS } from '../../integration/stores/fixtures';
import { MemoryEventStore } from './memory-event-store';

/** The contract's five events as stored events. */
const STORED: StoredEventView[] = EVENTS.map((e) => ({
  streamId: e.stream,
  category: e.category,
  version: e.version,
  position: String(e.position),
  eventId: e.eventId,
  type: e.type,
  timestamp: e.timestamp,
  data: e.data,
  metadata: { correlationId: e.correlationId },
  correlationId: e.correlationId,
}));

describe('the in-memory EventStore of unit tests', () => {
  const store = new MemoryEventStore().add(...STORED);
  eventStoreContract(() => store, {
    capabilities: { preset: 'memory', hasGlobalPosition: true, hasEventId: true, hasTimestamp: true, hasCorrelation: true },
    streamId: (name) => name,
    textIds: true,
    correlation: (e) => e.correlationId,
    missingStreamId: 'nope-1',
  });
});
