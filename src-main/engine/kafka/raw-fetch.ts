/**
 * Kafka Fetch answers as raw record batches, for scans that look at every message
 * of a partition but need few of them whole (the compliance topic scan). kafkajs
 * decodes every record into objects (offsets and timestamps through its Long, a
 * Buffer per key and value): at a million messages that decoding and its garbage
 * are most of a scan. Here the request is kafkajs' own (its Fetch encoder, the
 * version negotiated by the broker, its connection with TLS and SASL); only the
 * answer is read differently: per partition the bytes of its record batches, which
 * `recordBatches` walks by their headers and `batchRecords` opens one by one.
 */
import { createRequire } from 'node:module';
import type { Broker } from 'kafkajs';

// Not named `require`: the main bundle's ESM chunks declare a `require` shim of their own, and a second one is a SyntaxError at start.
const requireKafkajs = createRequire(import.meta.url);

/** kafkajs' Fetch request definition (versions 0-11), the compression codecs it knows, and its error for a code: not part of its public API. */
const fetchDefinition = requireKafkajs('kafkajs/src/protocol/requests/fetch') as unknown;
const { lookupCodecByAttributes } = requireKafkajs('kafkajs/src/protocol/message/compression') as {
  lookupCodecByAttributes(attributes: number): { decompress(buffer: Buffer): Promise<Buffer> } | null;
};
const { createErrorFromCode } = requireKafkajs('kafkajs/src/protocol/error') as { createErrorFromCode(code: number): Error & { retriable?: boolean } };
/** kafkajs' decoding of the message sets of magic 0 and 1 (brokers before 0.11, or topics kept in the old format). */
const decodeMessages = requireKafkajs('kafkajs/src/protocol/requests/fetch/v4/decodeMessages') as (decoder: unknown) => Promise<LegacyMessage[]>;
const Decoder = requireKafkajs('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown;

const FETCH_API_KEY = 1;
const READ_UNCOMMITTED = 0;
const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_MASK = 0x08;
const CONTROL_MASK = 0x20;
/** Bytes of a record batch's header before its records (v2: offset 8, length 4, epoch 4, magic 1, crc 4, attributes 2, ... record count 4). */
const BATCH_HEADER = 61;

interface LegacyMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | Buffer[] | undefined>;
}

export interface RawPartition {
  partition: number;
  errorCode: number;
  highWatermark: number;
  /** -1 when the broker's Fetch version does not say (before v5). */
  logStartOffset: number;
  /** The partition's record batches as the broker sent them (the last one may be cut). */
  records: Buffer;
}

export interface RawFetchRequest {
  topic: string;
  partitions: { partition: number; fetchOffset: number; maxBytes: number }[];
  maxWaitTime: number;
  maxBytes: number;
}

/** One Fetch to a partition's leader (read uncommitted: an aborted transaction's messages are still stored in the log). */
export async function rawFetch(broker: Broker, request: RawFetchRequest): Promise<RawPartition[]> {
  const internal = broker as unknown as {
    lookupRequest(apiKey: number, definition: unknown): (args: object) => { request: { apiVersion: number }; response: unknown; requestTimeout: number };
    connectionPool: { send(protocolRequest: object): Promise<unknown> };
  };
  const protocolRequest = internal.lookupRequest(
    FETCH_API_KEY,
    fetchDefinition,
  )({
    isolationLevel: READ_UNCOMMITTED,
    maxWaitTime: request.maxWaitTime,
    minBytes: 1,
    maxBytes: request.maxBytes,
    topics: [{ topic: request.topic, partitions: request.partitions.map((p) => ({ ...p, fetchOffset: String(p.fetchOffset) })) }],
    rackId: '',
  });
  const version = protocolRequest.request.apiVersion;
  if (version < 4) throw new Error(`This Kafka broker answers Fetch only up to version ${version}: scanning its topics needs version 4 (Kafka 0.11) or later.`);
  const response = {
    decode: async (raw: Buffer) => decodeFetchAnswer(raw, version),
    parse: async (answer: { partitions: RawPartition[] }) => answer,
  };
  const answer = (await internal.connectionPool.send({ ...protocolRequest, response })) as { partitions: RawPartition[] };
  return answer.partitions;
}

/** The Fetch answer of versions 4-11 with each partition's records left as bytes. */
function decodeFetchAnswer(raw: Buffer, version: number): { clientSideThrottleTime: number; partitions: RawPartition[] } {
  let at = 0;
  const int16 = () => ((at += 2), raw.readInt16BE(at - 2));
  const int32 = () => ((at += 4), raw.readInt32BE(at - 4));
  const int64 = () => ((at += 8), Number(raw.readBigInt64BE(at - 8)));
  const clientSideThrottleTime = int32();
  if (version >= 7) {
    const errorCode = int16();
    int32(); // session id
    if (errorCode !== 0) throw createErrorFromCode(errorCode);
  }
  const partitions: RawPartition[] = [];
  for (let topics = int32(); topics > 0; topics -= 1) {
    at += 2 + raw.readInt16BE(at); // topic name: the request named one topic
    for (let count = int32(); count > 0; count -= 1) {
      const partition = int32();
      const errorCode = int16();
      const highWatermark = int64();
      int64(); // last stable offset
      const logStartOffset = version >= 5 ? int64() : -1;
      const aborted = int32();
      if (aborted > 0) at += aborted * 16;
      if (version >= 11) int32(); // preferred read replica
      const size = int32();
      const records = size > 0 ? raw.subarray(at, at + size) : raw.subarray(0, 0);
      if (size > 0) at += size;
      partitions.push({ partition, errorCode, highWatermark, logStartOffset, records });
    }
  }
  return { clientSideThrottleTime, partitions };
}

/** A Kafka error for a partition's error code (kafkajs' own, with `retriable`). */
export function partitionError(code: number): Error & { retriable?: boolean } {
  return createErrorFromCode(code);
}

export interface RecordBatch {
  baseOffset: number;
  /** Offset of the batch's last record (compaction may leave gaps: fewer records than offsets). */
  lastOffset: number;
  recordCount: number;
  /** Control batches (transaction markers) hold no messages. */
  control: boolean;
  compressed: boolean;
  /** Every record's timestamp is the batch's maxTimestamp (LogAppendTime). */
  logAppendTime: boolean;
  firstTimestamp: number;
  maxTimestamp: number;
  /** The whole batch; its records start at BATCH_HEADER. */
  bytes: Buffer;
  attributes: number;
  /** Message set of magic 0/1, decoded by kafkajs (records of a legacy format). */
  legacy?: LegacyMessage[];
}

/** The complete record batches of a partition's answer, in offset order (a batch the broker cut at maxBytes is left out). */
export async function recordBatches(records: Buffer): Promise<RecordBatch[]> {
  const batches: RecordBatch[] = [];
  let at = 0;
  while (at + BATCH_HEADER <= records.length) {
    const length = records.readInt32BE(at + 8);
    const end = at + 12 + length;
    if (end > records.length) break;
    const magic = records.readInt8(at + 16);
    if (magic < 2) return [await legacyBatch(records)];
    const attributes = records.readInt16BE(at + 21);
    const baseOffset = Number(records.readBigInt64BE(at));
    batches.push({
      baseOffset,
      lastOffset: baseOffset + records.readInt32BE(at + 23),
      firstTimestamp: Number(records.readBigInt64BE(at + 27)),
      maxTimestamp: Number(records.readBigInt64BE(at + 35)),
      recordCount: records.readInt32BE(at + 57),
      control: (attributes & CONTROL_MASK) !== 0,
      compressed: (attributes & COMPRESSION_MASK) !== 0,
      logAppendTime: (attributes & TIMESTAMP_TYPE_MASK) !== 0,
      bytes: records.subarray(at, end),
      attributes,
    });
    at = end;
  }
  return batches;
}

/** The old message sets, through kafkajs' decoder, as one batch holding its messages. */
async function legacyBatch(records: Buffer): Promise<RecordBatch> {
  const sized = Buffer.alloc(4 + records.length);
  sized.writeInt32BE(records.length, 0);
  records.copy(sized, 4);
  const messages = await decodeMessages(new Decoder(sized));
  const first = messages[0];
  const last = messages[messages.length - 1];
  return {
    baseOffset: first ? Number(first.offset) : 0,
    lastOffset: last ? Number(last.offset) : -1,
    recordCount: messages.length,
    control: false,
    compressed: true,
    logAppendTime: false,
    firstTimestamp: first ? Number(first.timestamp) : 0,
    maxTimestamp: messages.reduce((max, m) => Math.max(max, Number(m.timestamp)), 0),
    bytes: records,
    attributes: 0,
    legacy: messages,
  };
}

/** Bytes the records of a batch are kept in: the batch's own, decompressed where the batch is compressed. */
export async function recordBytes(batch: RecordBatch): Promise<Buffer> {
  const stored = batch.bytes.subarray(BATCH_HEADER);
  if (!batch.compressed) return stored;
  const codec = lookupCodecByAttributes(batch.attributes);
  if (!codec) throw new Error(`A record batch uses a compression codec kafkajs cannot read (attributes ${batch.attributes}).`);
  return codec.decompress(stored);
}

export interface RawRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Header values (their names are not searched). */
  headerValues: Buffer[];
}

/** Every record of a batch, its key, value and header values as views of the batch's bytes. */
export async function batchRecords(batch: RecordBatch): Promise<RawRecord[]> {
  if (batch.legacy) return batch.legacy.map(legacyRecord);
  const bytes = await recordBytes(batch);
  const out: RawRecord[] = [];
  let at = 0;
  const varint = () => {
    // Zigzag varints; arithmetic (not bit operations) so values past 2^31 (timestamp deltas) stay exact.
    let raw = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[at++]!;
      raw += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 128;
    }
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  };
  const chunk = () => {
    const length = varint();
    if (length < 0) return null;
    at += length;
    return bytes.subarray(at - length, at);
  };
  for (let i = 0; i < batch.recordCount && at < bytes.length; i += 1) {
    const length = varint();
    const end = at + length;
    at += 1; // attributes
    const timestampDelta = varint();
    const offsetDelta = varint();
    const key = chunk();
    const value = chunk();
    const headerValues: Buffer[] = [];
    for (let headers = varint(); headers > 0; headers -= 1) {
      chunk();
      const headerValue = chunk();
      if (headerValue) headerValues.push(headerValue);
    }
    out.push({
      offset: batch.baseOffset + offsetDelta,
      timestamp: batch.logAppendTime ? batch.maxTimestamp : batch.firstTimestamp + timestampDelta,
      key,
      value,
      headerValues,
    });
    at = end;
  }
  return out;
}

function legacyRecord(message: LegacyMessage): RawRecord {
  const headerValues: Buffer[] = [];
  for (const value of Object.values(message.headers ?? {})) for (const part of Array.isArray(value) ? value : [value]) if (part) headerValues.push(part);
  return { offset: Number(message.offset), timestamp: Number(message.timestamp), key: message.key, value: message.value, headerValues };
}
