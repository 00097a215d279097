import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { ChronoError } from '../../../src-shared/errors';
import type { KafkaOutboxGapsResult } from '../../../src-shared/schemas/kafka';
import type { Progress } from '../../../src-shared/wire';
import type { EventStore } from '../../stores/event-store';

export interface OutboxGapsRequest {
  topic: string;
  fromPosition?: string;
  toPosition?: string;
  maxEvents: number;
}

const LIST_LIMIT = 1000;
const FEED_PAGE = 1000;
/** The scan gives up when no message came for this long although the captured end was not reached. */
const STALL_MS = 30_000;

interface StoreEvent {
  eventId: string;
  position: string;
  streamId: string;
  version: number;
}

/**
 * Compares a store position range with a topic, by event id: events of the
 * range no message carries (lost by the relay) and events carried by more
 * than one message (published twice). The topic is read whole, from each
 * partition's log start to its end when the check began, through a throwaway
 * group that never commits; progress is reported and the signal cancels it.
 */
export async function findOutboxGaps(
  store: EventStore,
  kafka: Kafka,
  admin: Admin,
  request: OutboxGapsRequest,
  signal: AbortSignal,
  progress: (p: Progress) => void,
): Promise<KafkaOutboxGapsResult> {
  if (!store.describe().hasGlobalPosition)
    throw new ChronoError('invalid_input', 'This store has no global position order, so a position range cannot be checked against the topic.');
  const { events, withoutId } = await readRange(store, request, signal, progress);
  const bounds = await admin.fetchTopicOffsets(request.topic).catch(() => {
    throw new ChronoError('not_found', `Topic "${request.topic}" was not found on this cluster: choose the topic the relay writes.`);
  });
  const copies = new Map<string, { partition: number; offset: string }[]>();
  const scan = await scanTopic(kafka, admin, request.topic, bounds, signal, progress, (partition, message) => {
    const eventId = eventIdOf(message);
    if (eventId === undefined) return false;
    if (events.has(eventId)) {
      let list = copies.get(eventId);
      if (!list) copies.set(eventId, (list = []));
      list.push({ partition, offset: message.offset });
    }
    return true;
  });
  const missing: StoreEvent[] = [];
  const duplicates: KafkaOutboxGapsResult['duplicates'] = [];
  let missingCount = 0;
  let duplicateCount = 0;
  for (const event of events.values()) {
    const found = copies.get(event.eventId);
    if (!found) {
      missingCount += 1;
      if (missing.length < LIST_LIMIT) missing.push(event);
    } else if (found.length > 1) {
      duplicateCount += 1;
      if (duplicates.length < LIST_LIMIT) duplicates.push({ ...event, copies: found });
    }
  }
  const positions = [...events.values()].map((e) => BigInt(e.position));
  const lowest = positions.length ? positions.reduce((a, b) => (b < a ? b : a)) : null;
  const highest = positions.length ? positions.reduce((a, b) => (b > a ? b : a)) : null;
  return {
    fromPosition: request.fromPosition ?? (lowest === null ? null : String(lowest)),
    toPosition: request.toPosition ?? (highest === null ? null : String(highest)),
    eventsChecked: events.size,
    messagesScanned: scan.scanned,
    unidentified: scan.unidentified,
    missing,
    duplicates,
    withoutId,
    missingCount,
    duplicateCount,
  };
}

async function readRange(
  store: EventStore,
  request: OutboxGapsRequest,
  signal: AbortSignal,
  progress: (p: Progress) => void,
): Promise<{ events: Map<string, StoreEvent>; withoutId: number }> {
  const events = new Map<string, StoreEvent>();
  let withoutId = 0;
  let after: string | null = request.fromPosition && BigInt(request.fromPosition) > 0n ? String(BigInt(request.fromPosition) - 1n) : null;
  const to = request.toPosition === undefined ? undefined : BigInt(request.toPosition);
  for (;;) {
    if (signal.aborted) throw new ChronoError('cancelled', 'The outbox check was cancelled.');
    // Payloads are not needed: anything over 2 bytes is left out.
    const page = await store.readFeed({ ...(after !== null ? { afterPosition: after } : {}), limit: FEED_PAGE, payloadLimit: 2 });
    for (const event of page.events) {
      if (to !== undefined && BigInt(event.position!) > to) return { events, withoutId };
      if (events.size >= request.maxEvents) {
        throw new ChronoError(
          'invalid_input',
          `The range holds more than ${request.maxEvents} events: narrow it (e.g. to positions ${request.fromPosition ?? '1'}–${event.position}) or raise the limit.`,
        );
      }
      if (!event.eventId) withoutId += 1;
      else events.set(event.eventId, { eventId: event.eventId, position: event.position!, streamId: event.streamId, version: event.version });
    }
    progress({ done: events.size, message: `Read ${events.size} events from the store` });
    if (page.nextAfterPosition === null || page.events.length === 0) return { events, withoutId };
    after = page.nextAfterPosition;
  }
}

/** Reads every partition from its log start to the end captured before; `visit` answers whether the message named an event. */
async function scanTopic(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  bounds: { partition: number; low: string; high: string }[],
  signal: AbortSignal,
  progress: (p: Progress) => void,
  visit: (partition: number, message: KafkaMessage) => boolean,
): Promise<{ scanned: number; unidentified: number }> {
  const remaining = new Map(bounds.filter((b) => Number(b.high) > Number(b.low)).map((b) => [b.partition, Number(b.high)]));
  const total = bounds.reduce((sum, b) => sum + Number(b.high) - Number(b.low), 0);
  let scanned = 0;
  let unidentified = 0;
  if (remaining.size === 0) return { scanned, unidentified };
  const groupId = `chronoscope-outbox-check-${randomUUID()}`;
  const consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: 500,
    maxBytes: 16 << 20,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    retry: { retries: 2 },
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let lastProgress = Date.now();
      const stall = setInterval(() => {
        if (Date.now() - lastProgress > STALL_MS)
          finish(
            new ChronoError(
              'timeout',
              `No messages came from ${topic} for ${STALL_MS / 1000} s before its end was reached; the broker may be overloaded. Try again.`,
            ),
          );
      }, 1000);
      const onAbort = () => finish(new ChronoError('cancelled', 'The outbox check was cancelled.'));
      function finish(err?: Error) {
        clearInterval(stall);
        signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      }
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        for (const partition of payload.memberAssignment[topic] ?? []) {
          const low = bounds.find((b) => b.partition === partition)?.low ?? '0';
          consumer.seek({ topic, partition, offset: low });
        }
      });
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch }) => {
            const end = remaining.get(batch.partition);
            if (end === undefined) return;
            for (const message of batch.messages) {
              if (Number(message.offset) >= end) break;
              scanned += 1;
              if (!visit(batch.partition, message)) unidentified += 1;
            }
            lastProgress = Date.now();
            // lastOffset() counts control records and compacted offsets the messages skip.
            if (Number(batch.lastOffset()) + 1 >= end) {
              remaining.delete(batch.partition);
              consumer.pause([{ topic, partitions: [batch.partition] }]);
            }
            progress({ done: scanned, total, message: `Scanned ${scanned} of ${total} messages of ${topic}` });
            if (remaining.size === 0) finish();
          },
        })
        .catch((err: unknown) => finish(err as Error));
    });
    return { scanned, unidentified };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}

/** The reference relay's `event-id` header, or an `eventId` field of a JSON value. */
function eventIdOf(message: KafkaMessage): string | undefined {
  const header = message.headers?.['event-id'];
  if (header !== undefined) return (Array.isArray(header) ? header[0] : header)?.toString('utf8');
  if (!message.value) return undefined;
  try {
    const parsed = JSON.parse(message.value.toString('utf8')) as { eventId?: unknown };
    return typeof parsed.eventId === 'string' ? parsed.eventId : undefined;
  } catch {
    return undefined;
  }
}
