import type { Message } from 'kafkajs';
import type { StoredEvent } from '../events';

/**
 * One Kafka message per event, keyed by aggregate id: Kafka keeps a key's
 * messages in one partition and in order, so each stream arrives in version order.
 */
export function eventToMessage(event: StoredEvent): Message {
  return {
    key: event.aggregateId,
    value: JSON.stringify(event),
    headers: { 'event-id': event.eventId, 'event-type': event.type, 'aggregate-type': event.aggregateType },
  };
}

export function messageToEvent(value: Buffer | null): StoredEvent | null {
  if (!value) return null;
  return JSON.parse(value.toString('utf8')) as StoredEvent;
}
