import type { Broker, Cluster } from 'kafkajs';
import type { KafkaMember } from '../../../src-shared/schemas/kafka';

/**
 * ConsumerGroupDescribe (API 69, KIP-848), which kafkajs does not have: the only way to see the
 * members of a "consumer"-protocol group without joining it (kafkajs' classic DescribeGroups
 * answers such a group "Dead" with no members, even while members are live). Sent to the group's
 * coordinator through kafkajs' own connection, in the flexible encoding (compact strings, tagged fields).
 */
export interface ConsumerGroupState {
  state: string;
  groupEpoch: number;
  members: (KafkaMember & { memberEpoch: number })[];
}

/**
 * What the broker says: the group as a consumer-protocol group; not one (a classic group, no
 * group, or a broker without KIP-848 groups); or that it could not tell (e.g. not authorized).
 */
export type ConsumerGroupAnswer = { kind: 'consumer'; group: ConsumerGroupState } | { kind: 'not-consumer' } | { kind: 'unknown'; reason: string };

const API_KEY = 69;
const UNSUPPORTED_VERSION = 35;
const GROUP_ID_NOT_FOUND = 69;

export async function describeConsumerGroup(cluster: Cluster, groupId: string): Promise<ConsumerGroupAnswer> {
  const coordinator = await cluster.findGroupCoordinator({ groupId });
  const range = (coordinator as unknown as { versions?: Record<number, { minVersion: number; maxVersion: number }> }).versions?.[API_KEY];
  // Brokers before 3.7 lack the API; 3.7-3.9 list it but answer UNSUPPORTED_VERSION unless the new
  // protocol is enabled: either way they have no KIP-848 groups.
  if (!range) return { kind: 'not-consumer' };
  if (range.minVersion > 0) return { kind: 'unknown', reason: `the broker offers ConsumerGroupDescribe from v${range.minVersion} only` };
  const answer = await send(coordinator, groupId);
  if (answer.errorCode === GROUP_ID_NOT_FOUND || answer.errorCode === UNSUPPORTED_VERSION) return { kind: 'not-consumer' };
  if (answer.errorCode !== 0)
    return { kind: 'unknown', reason: `ConsumerGroupDescribe answered error ${answer.errorCode}${answer.errorMessage ? `: ${answer.errorMessage}` : ''}` };
  return { kind: 'consumer', group: answer.group };
}

interface Decoded {
  errorCode: number;
  errorMessage: string | null;
  group: ConsumerGroupState;
}

function send(broker: Broker, groupId: string): Promise<Decoded> {
  const pool = (broker as unknown as { connectionPool?: { send(request: object): Promise<Decoded> } }).connectionPool;
  if (!pool) throw new Error('This kafkajs version does not expose its broker connections.');
  return pool.send({
    request: { apiKey: API_KEY, apiVersion: 0, apiName: 'ConsumerGroupDescribe', encode: async () => encodeRequest(groupId) },
    response: { decode: async (payload: Buffer) => decodeResponse(payload), parse: async (decoded: Decoded) => decoded },
  });
}

/**
 * The request body. kafkajs writes the classic request header (v1); the flexible header (v2) is
 * that plus an empty tagged-field section, so the body starts with it (as kafkajs' own flexible
 * requests do). kafkajs takes any object holding the bytes as `buf` and `buffer` (its Encoder's shape).
 */
function encodeRequest(groupId: string): { buf: Buffer; buffer: Buffer } {
  const id = Buffer.from(groupId, 'utf8');
  const bytes = Buffer.concat([
    Buffer.from([0]), // header tagged fields
    uvarint(2), // one group id (compact array: length + 1)
    uvarint(id.length + 1),
    id,
    Buffer.from([0]), // IncludeAuthorizedOperations = false
    Buffer.from([0]), // body tagged fields
  ]);
  return { buf: bytes, buffer: bytes };
}

function uvarint(value: number): Buffer {
  const bytes: number[] = [];
  while (value > 0x7f) {
    bytes.push((value & 0x7f) | 0x80);
    value >>>= 7;
  }
  bytes.push(value);
  return Buffer.from(bytes);
}

/** ConsumerGroupDescribe response v0, one group asked for. */
export function decodeResponse(payload: Buffer): Decoded {
  const r = new Reader(payload);
  r.taggedFields(); // response header v1
  r.int32(); // throttle time
  const groups = r.array(() => {
    const errorCode = r.int16();
    const errorMessage = r.nullableString();
    r.string(); // group id
    const state = r.string();
    const groupEpoch = r.int32();
    r.int32(); // assignment epoch
    r.string(); // assignor
    const members = r.array(() => {
      const memberId = r.string();
      r.nullableString(); // instance id
      r.nullableString(); // rack id
      const memberEpoch = r.int32();
      const clientId = r.string();
      const host = r.string();
      r.array(() => r.string()); // subscribed topic names
      r.nullableString(); // subscribed topic regex
      const assignments = assignment(r);
      assignment(r); // target assignment
      r.taggedFields();
      return { memberId, clientId, host, memberEpoch, assignments };
    });
    r.int32(); // authorized operations
    r.taggedFields();
    return { errorCode, errorMessage, group: { state, groupEpoch, members } };
  });
  const first = groups[0];
  if (!first) throw new Error('ConsumerGroupDescribe answered no group.');
  return first;
}

function assignment(r: Reader): KafkaMember['assignments'] {
  const topics = r.array(() => {
    r.skip(16); // topic id (uuid)
    const topic = r.string();
    const partitions = r.array(() => r.int32()).sort((a, b) => a - b);
    r.taggedFields();
    return { topic, partitions };
  });
  r.taggedFields();
  return topics.sort((a, b) => a.topic.localeCompare(b.topic));
}

/** Reads the flexible encoding's types. */
class Reader {
  private at = 0;
  constructor(private readonly bytes: Buffer) {}

  int16(): number {
    const value = this.bytes.readInt16BE(this.at);
    this.at += 2;
    return value;
  }

  int32(): number {
    const value = this.bytes.readInt32BE(this.at);
    this.at += 4;
    return value;
  }

  skip(count: number): void {
    if (this.at + count > this.bytes.length) throw new RangeError('ConsumerGroupDescribe answer ended early.');
    this.at += count;
  }

  uvarint(): number {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.bytes[this.at++];
      if (byte === undefined || shift > 28) throw new RangeError('Bad varint in ConsumerGroupDescribe answer.');
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  }

  nullableString(): string | null {
    const length = this.uvarint();
    if (length === 0) return null;
    const start = this.at;
    this.skip(length - 1);
    return this.bytes.toString('utf8', start, this.at);
  }

  string(): string {
    return this.nullableString() ?? '';
  }

  array<T>(item: () => T): T[] {
    const length = this.uvarint();
    const items: T[] = [];
    for (let i = 1; i < length; i++) items.push(item());
    return items;
  }

  taggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint(); // tag
      this.skip(this.uvarint());
    }
  }
}
