/**
 * The event envelope shared by both stores, Kafka messages and read models.
 * Events are self-contained: a reader needs nothing but the envelope to know
 * what happened, to which aggregate, in which causal chain, under which schema.
 */

export const AGGREGATE_TYPES = ['Product', 'Account', 'Order', 'Customer'] as const;
export type AggregateType = (typeof AGGREGATE_TYPES)[number];

export interface EventMetadata {
  correlationId: string;
  causationId: string;
  userId: string;
  /** Version of this event type's `data` shape; see `upcast`. */
  schemaVersion: number;
  /** The command that produced the event; retries of that command are recognised by it. */
  commandId?: string;
  /** Key that encrypts the personal fields of `data` (customer events only); deleting it shreds them. */
  subjectKeyId?: string;
}

export interface DomainEvent<D = Record<string, unknown>> {
  eventId: string;
  type: string;
  aggregateId: string;
  aggregateType: AggregateType;
  /** Position in the aggregate's stream, from 1. */
  version: number;
  /** ISO-8601 instant the event was recorded. */
  timestamp: string;
  data: D;
  metadata: EventMetadata;
}

/** An event read back from a store, with its position in the store's global order (a string: 64-bit safe). */
export interface StoredEvent<D = Record<string, unknown>> extends DomainEvent<D> {
  globalPosition: string;
}

/** Current schema version of each event type; anything absent is at version 1. */
export const CURRENT_SCHEMA_VERSIONS: Readonly<Record<string, number>> = {
  // v1: { name, email, address }; v2 splits the name: { firstName, lastName, email, address }.
  CustomerRegistered: 2,
};

export function currentSchemaVersion(eventType: string): number {
  return CURRENT_SCHEMA_VERSIONS[eventType] ?? 1;
}

/**
 * Splits a v1 full name the way the v2 form asks for it: the last word is the
 * last name, everything before it the first name(s).
 */
export function splitFullName(name: string): { firstName: string; lastName: string } {
  const words = name.trim().split(/\s+/).filter(Boolean);
  if (words.length <= 1) return { firstName: words[0] ?? '', lastName: '' };
  return { firstName: words.slice(0, -1).join(' '), lastName: words[words.length - 1] ?? '' };
}

/**
 * Brings an event to the current schema of its type. Works on decrypted data:
 * upcasting needs the plaintext (the name is personal data), so readers decrypt first.
 * Events already current are returned unchanged (same object).
 */
export function upcast<E extends DomainEvent>(event: E): E {
  if (event.type === 'CustomerRegistered' && event.metadata.schemaVersion === 1) {
    const { name, ...rest } = event.data as { name?: unknown } & Record<string, unknown>;
    const split = typeof name === 'string' ? splitFullName(name) : { firstName: null, lastName: null };
    return {
      ...event,
      data: { ...split, ...rest },
      metadata: { ...event.metadata, schemaVersion: 2 },
    };
  }
  return event;
}
