import { randomUUID } from 'node:crypto';
import type { Admin, IHeaders, Kafka, KafkaMessage as RawMessage } from 'kafkajs';
import { ChronoError } from '../../../src-shared/errors';
import type { KafkaMessage } from '../../../src-shared/schemas/kafka';

const VALUE_LIMIT = 64 * 1024;

export interface BrowseRequest {
  topic: string;
  partition: number;
  from: { kind: 'offset'; offset: string } | { kind: 'time'; at: string } | { kind: 'latest'; count: number };
  limit: number;
  follow: boolean;
}

/**
 * Reads one partition from an offset, a time or the last N messages, with a
 * throwaway group that never commits (kafkajs has no group-less consumer) and
 * is deleted afterwards. With `follow`, keeps emitting new messages until the
 * signal aborts.
 */
export async function browsePartition(
  kafka: Kafka,
  admin: Admin,
  request: BrowseRequest,
  signal: AbortSignal,
  emit: (messages: KafkaMessage[], next: string) => void,
): Promise<{ messages: KafkaMessage[]; start: string; end: string; next: string }> {
  const bounds = (await admin.fetchTopicOffsets(request.topic).catch(() => [])).find((p) => p.partition === request.partition);
  if (!bounds) throw new ChronoError('not_found', `Topic "${request.topic}" has no partition ${request.partition}.`);
  const low = Number(bounds.low);
  const high = Number(bounds.high);
  let start: number;
  if (request.from.kind === 'offset') start = Number(request.from.offset);
  else if (request.from.kind === 'latest') start = high - request.from.count;
  else {
    const found = (await admin.fetchTopicOffsetsByTimestamp(request.topic, Date.parse(request.from.at))).find((p) => p.partition === request.partition);
    start = found && Number(found.offset) >= 0 ? Number(found.offset) : high;
  }
  start = Math.min(Math.max(start, low), high);
  if (start >= high && !request.follow) return { messages: [], start: String(start), end: String(high), next: String(start) };

  const groupId = `chronoscope-browse-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500, sessionTimeout: 10_000, heartbeatInterval: 1000, retry: { retries: 2 } });
  const collected: KafkaMessage[] = [];
  let next = start;
  let firstPageDone = false;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [request.topic] });
    const firstPage = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new ChronoError('timeout', `No messages came from ${request.topic}[${request.partition}] within 20 s; the broker may be overloaded.`)),
        20_000,
      );
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch }) => {
            if (batch.partition !== request.partition) return;
            const page: KafkaMessage[] = [];
            for (const raw of batch.messages) {
              const offset = Number(raw.offset);
              if (offset < next) continue;
              if (!firstPageDone && collected.length >= request.limit) break;
              (firstPageDone ? page : collected).push(decodeMessage(batch.partition, raw));
              next = offset + 1;
            }
            if (firstPageDone) {
              if (page.length) emit(page, String(next));
            } else if (collected.length >= request.limit || next >= high) {
              firstPageDone = true;
              // Messages fetched past the page are read again from here when following.
              if (request.follow) consumer.seek({ topic: request.topic, partition: request.partition, offset: String(next) });
              done();
            }
          },
        })
        .catch(reject);
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        const assigned = payload.memberAssignment[request.topic] ?? [];
        const others = assigned.filter((p) => p !== request.partition);
        if (others.length) consumer.pause([{ topic: request.topic, partitions: others }]);
        consumer.seek({ topic: request.topic, partition: request.partition, offset: String(start) });
        // Following an empty range: the first page is empty, later messages stream.
        if (start >= high) {
          firstPageDone = true;
          done();
        }
      });
    });
    await firstPage;
    const result = { messages: collected, start: String(start), end: String(high), next: String(next) };
    if (!request.follow || signal.aborted) return result;
    emit(result.messages, result.next);
    // Following: later batches are emitted as they come (the eachBatch above keeps running).
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    return { ...result, next: String(next) };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}

/** JSON, text or hex, in that order of preference; big values cut. */
function decode(buffer: Buffer | null): { text: string | null; encoding: KafkaMessage['valueEncoding'] } {
  if (buffer === null) return { text: null, encoding: 'null' };
  const slice = buffer.subarray(0, VALUE_LIMIT);
  const text = slice.toString('utf8');
  // Invalid UTF-8 or control bytes other than tab, newline and carriage return: binary, shown as hex.
  const printable = !text.includes('\uFFFD') && !slice.some((byte) => byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d);
  if (!printable) return { text: slice.toString('hex'), encoding: 'hex' };
  if (buffer.length <= VALUE_LIMIT) {
    try {
      JSON.parse(text);
      return { text, encoding: 'json' };
    } catch {
      // not JSON: shown as text
    }
  }
  return { text, encoding: 'text' };
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    out[name] = values.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v))).join(', ');
  }
  return out;
}

export function decodeMessage(partition: number, raw: RawMessage): KafkaMessage {
  const key = decode(raw.key ?? null);
  const value = decode(raw.value ?? null);
  const headers = headersOf(raw.headers);
  return {
    partition,
    offset: raw.offset,
    timestamp: new Date(Number(raw.timestamp)).toISOString(),
    key: key.text,
    keyEncoding: key.encoding,
    value: value.text,
    valueEncoding: value.encoding,
    valueBytes: raw.value?.length ?? 0,
    headers,
    ...eventOf(value.encoding === 'json' ? value.text : null, headers),
  };
}

/** A store event the message carries: the reference relay's JSON (aggregateId, version, eventId) or a streamId field. */
function eventOf(json: string | null, headers: Record<string, string>): { event?: KafkaMessage['event'] } {
  if (!json) return {};
  const parsed = JSON.parse(json) as Record<string, unknown>;
  if (typeof parsed !== 'object' || parsed === null) return {};
  const streamId = typeof parsed.streamId === 'string' ? parsed.streamId : typeof parsed.aggregateId === 'string' ? parsed.aggregateId : undefined;
  if (!streamId) return {};
  const eventId = typeof parsed.eventId === 'string' ? parsed.eventId : headers['event-id'];
  return { event: { streamId, ...(typeof parsed.version === 'number' ? { version: parsed.version } : {}), ...(eventId ? { eventId } : {}) } };
}
