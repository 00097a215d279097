import { Binary } from 'mongodb';
import { StoreCapabilityError, decodePayload, type StoredEventView } from '../event-store';
import { isRecord, isoOf, positionOf } from './emmett-mongo-layout';

/** Emmett keeps no per-event timestamp; some applications add one to the message metadata. */
const TIMESTAMP_KEYS = ['createdAt', 'timestamp', 'recordedAt'] as const;

/** Thrown for a stream document that is not in Emmett's shape: the read stops with a message naming it. */
export class EmmettDocumentError extends StoreCapabilityError {
  constructor(message: string) {
    super(message);
    this.name = 'EmmettDocumentError';
  }
}

function payload(value: unknown): unknown {
  return decodePayload(value instanceof Binary ? Buffer.from(value.buffer) : value);
}

function timestampOf(metadata: Record<string, unknown>): string | null {
  for (const key of TIMESTAMP_KEYS) {
    const iso = isoOf(metadata[key]);
    if (iso) return iso;
  }
  return null;
}

/**
 * One entry of a stream document's `messages` array as a StoredEventView.
 * `index` is the message's place in the array; the version is the message's own
 * `metadata.streamPosition`, or index + 1 when it has none (Emmett numbers
 * messages from 1 without gaps, so the two agree in every stream it wrote).
 */
export function toStoredEvent(message: unknown, index: number, where: { streamName: string; category: string | null; collection: string }): StoredEventView {
  const at = `message ${index + 1} of stream ${where.streamName} (${where.collection})`;
  if (!isRecord(message)) throw new EmmettDocumentError(`${at} is not an object: this is not an Emmett stream document`);
  if (typeof message.type !== 'string' || message.type.length === 0)
    throw new EmmettDocumentError(`${at} has no type: Emmett messages carry a non-empty string "type"`);
  const metadata = isRecord(message.metadata) ? message.metadata : {};
  const eventId = metadata.eventId ?? metadata.messageId;
  return {
    streamId: where.streamName,
    category: where.category,
    version: positionOf(metadata.streamPosition) ?? index + 1,
    eventId: typeof eventId === 'string' ? eventId : null,
    type: message.type,
    timestamp: timestampOf(metadata),
    data: payload(message.data),
    metadata: payload(message.metadata),
  };
}
