import { describe, expect, it } from 'vitest';
import type { ErasureCase, PersonalDataMap } from '../../src-shared/schemas/compliance';
import { eventPathSql, likeContaining, snapshotPathSql } from '../../src-main/engine/compliance/json-paths';
import { planFromRows, redactedForm, type SubjectEventRow } from '../../src-main/engine/compliance/pg-subject-data';
import { buildReport, reportHtml } from '../../src-main/engine/compliance/report';
import { bytesName, headersName, removalDates, retentionWords, subjectNeedles, type TopicFinding } from '../../src-main/engine/compliance/kafka-subject-scan';
import { describePlan, planTombstones } from '../../src-main/engine/compliance/kafka-tombstones';

const map: PersonalDataMap = {
  connectionId: 'c1',
  events: [
    {
      eventType: 'CustomerRegistered',
      subjectPaths: ['streamId', 'metadata.userId'],
      personalPaths: [
        { path: 'data.email', sealed: true },
        { path: 'data.address.street', sealed: false },
      ],
    },
    { eventType: 'OrderPlaced', subjectPaths: ['data.customerId'], personalPaths: [{ path: 'data.shipTo', sealed: false }] },
  ],
  readModels: [],
  snapshots: null,
  keyStore: null,
  requireSecondApprover: false,
};

const row = (patch: Partial<SubjectEventRow>): SubjectEventRow => ({
  position: '1',
  eventId: 'e1',
  streamId: 'cust-1',
  eventType: 'CustomerRegistered',
  timestamp: '2025-01-01T00:00:00.000Z',
  data: {},
  metadata: {},
  ...patch,
});

describe('compliance paths', () => {
  it('turns map paths into SQL expressions the advised indexes match', () => {
    expect(eventPathSql('streamId')).toBe('aggregate_id');
    expect(eventPathSql('data.customerId')).toBe("(event_data ->> 'customerId')");
    expect(eventPathSql('data.address.street')).toBe("(event_data -> 'address' ->> 'street')");
    expect(eventPathSql('metadata.userId')).toBe("(metadata ->> 'userId')");
    expect(snapshotPathSql('state.ownerId')).toBe("(state ->> 'ownerId')");
    expect(likeContaining('a_b%c')).toBe('%a\\_b\\%c%');
  });
});

describe('redaction', () => {
  const sealed = { enc: 'aes-256-gcm', kid: 'k', iv: 'i', tag: 't', ct: 'c' };

  it("erases the mapped paths of the subject's own events, showing sealed values as [sealed]", () => {
    const form = redactedForm(map, row({ data: { email: sealed, address: { street: 'Main St 1', city: 'Oslo' }, plan: 'gold' } }), ['cust-1']);
    expect(form.data).toEqual({ email: '[erased]', address: { street: '[erased]', city: 'Oslo' }, plan: 'gold' });
    expect(form.changes).toEqual([
      { path: 'data.email', before: '[sealed]' },
      { path: 'data.address.street', before: 'Main St 1' },
    ]);
  });

  it("leaves another subject's event alone when the subject only acted on it", () => {
    const other = row({ streamId: 'cust-2', metadata: { userId: 'cust-1' }, data: { email: 'x@example.org' } });
    expect(redactedForm(map, other, ['cust-1']).changes).toEqual([]);
    expect(
      redactedForm(map, row({ eventType: 'OrderPlaced', streamId: 'order-1', data: { customerId: 'cust-1', shipTo: 'Main St 1' } }), ['cust-1']).changes,
    ).toHaveLength(1);
  });

  it('changes nothing twice: an erased event plans no update, and the change list holds no erased value', () => {
    const rows = [row({ data: { email: 'a@example.org' } }), row({ position: '2', eventId: 'e2', data: { email: '[erased]' } })];
    const batch = planFromRows(map, rows, ['cust-1']);
    expect(batch.read).toBe(2);
    expect(batch.last).toBe('2');
    expect(batch.changed.map((c) => c.eventId)).toEqual(['e1']);
    expect(JSON.stringify(batch.changed)).not.toContain('a@example.org');
    expect(batch.changed[0]!.sha256After).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('the erasure report', () => {
  const record: ErasureCase = {
    id: 'case-1',
    connectionId: 'c1',
    subject: { by: 'email', value: 'ann@example.org' },
    ticket: 'T-1',
    reason: 'art. 17',
    requester: 'Dana',
    createdBy: 'op',
    createdAt: '2025-01-01T00:00:00.000Z',
    state: 'verified',
    inventory: {
      subjectIds: ['cust-1'],
      locations: [{ location: 'events', kind: 'events', count: 3, firstSeen: null, lastSeen: null }],
      mentions: [],
      mentionsTruncated: false,
      advice: [],
      scanned: 0,
      elapsedMs: 1,
    },
    actions: ['shred'],
    outcomes: [{ action: 'shred', summary: 'Deleted 1 subject key(s).', affected: 1, finishedAt: '2025-01-01T00:01:00.000Z' }],
  };

  it('names the subject by a fingerprint only, in JSON and HTML', () => {
    const report = buildReport({
      record,
      connectionName: 'Prod',
      subjectIds: ['cust-1'],
      changes: [],
      auditHead: { seq: 4, hash: 'h' },
      user: 'op',
      now: new Date('2025-01-02T00:00:00.000Z'),
    });
    const text = `${JSON.stringify(report)}${reportHtml(report, 'abc')}`;
    expect(text).not.toContain('cust-1');
    expect(text).not.toContain('ann@example.org');
    expect(report.subject.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(report.actions).toEqual([
      { action: 'shred', dryRun: null, outcome: 'Deleted 1 subject key(s).', affected: 1, finishedAt: '2025-01-01T00:01:00.000Z' },
    ]);
  });
});

describe('tombstones and retention of topic copies', () => {
  const policy = { compact: true, delete: false, retentionMs: 604_800_000, segmentMs: 86_400_000 };
  const finding = (over: Partial<TopicFinding>): TopicFinding => ({
    topic: 't',
    scanned: 10,
    count: 0,
    firstSeen: null,
    lastSeen: null,
    inKey: 0,
    inValue: 0,
    inHeaders: 0,
    sealedFields: 0,
    stillDecrypting: 0,
    retention: '',
    policy,
    newestAt: null,
    tombstones: 0,
    keyed: [],
    ...over,
  });
  const copies = (partition: number, key: string, tombstoned = false) => ({
    partition,
    key: Buffer.from(key),
    keySha256: `sha-${key}`,
    messages: 2,
    tombstoned,
  });

  it('plans one tombstone per key and partition of a compacted topic, skipping keys already ending in a tombstone or already sent', () => {
    const compacted = finding({
      topic: 'profiles',
      count: 7,
      inKey: 6,
      keyed: [copies(0, 'cust-1'), copies(2, 'cust-1'), copies(1, 'cust-1:orders', true), copies(1, 'cust-1:x')],
    });
    const plan = planTombstones([compacted], [{ topic: 'profiles', partition: 1, keySha256: 'sha-cust-1:x', offset: '9', at: '2025-01-01T00:00:00.000Z' }]);
    expect(plan.targets.map((t) => [t.partition, t.key.toString()])).toEqual([
      [0, 'cust-1'],
      [2, 'cust-1'],
    ]);
    expect(plan.done).toBe(2);
    // One message names the subject only in its value, under a key of its own: reported, not tombstoned.
    expect(plan.valueOnly).toEqual([{ topic: 'profiles', messages: 1 }]);
    const words = describePlan(plan, true);
    expect(words).toMatch(/^Writes 2 tombstone\(s\) .* 1 compacted topic\(s\), 2 partition\(s\)/);
    expect(words).not.toContain('cust-1');
  });

  it('lists copies in topics that are not compacted with the dates retention removes them', () => {
    const newestAt = Date.parse('2025-03-01T12:00:00.000Z');
    const plain = { compact: false, delete: true, retentionMs: 86_400_000, segmentMs: 3_600_000 };
    const plan = planTombstones([finding({ topic: 'audit', count: 3, newestAt, policy: plain, retention: retentionWords(plain, newestAt) })], []);
    expect(plan.targets).toEqual([]);
    expect(plan.retained).toEqual([
      expect.objectContaining({ topic: 'audit', messages: 3, removedFrom: '2025-03-02T12:00:00.000Z', removedBy: '2025-03-02T13:00:00.000Z' }),
    ]);
    expect(plan.retained[0]!.detail).toContain('retention removes the newest copy from 2025-03-02T12:00:00.000Z, at the latest by 2025-03-02T13:00:00.000Z');
  });

  it('says never where retention is -1 or the policy deletes nothing', () => {
    expect(removalDates({ compact: false, delete: true, retentionMs: -1, segmentMs: 1 }, 5)).toBe('never');
    expect(removalDates(policy, 5)).toBe('never');
    expect(retentionWords({ compact: false, delete: true, retentionMs: -1, segmentMs: 1 }, 5)).toMatch(/kept forever/);
    expect(retentionWords(policy, 5)).toMatch(/^compacted .*retention never removes them/);
  });
});

describe('finding a subject in Kafka message bytes', () => {
  const needles = subjectNeedles(['cust-42', 'kunde-øl-7']);

  it('matches keys and values on their raw bytes, as decoding them and searching the text would', () => {
    expect(bytesName(Buffer.from('{"customerId":"cust-42","x":1}'), needles)).toBe(true);
    expect(bytesName(Buffer.from('{"ownerId":"kunde-øl-7"}', 'utf8'), needles)).toBe(true);
    expect(bytesName(Buffer.from('{"customerId":"cust-43"}'), needles)).toBe(false);
    // The same characters in another encoding are other bytes: not the UTF-8 text the ids are written in.
    expect(bytesName(Buffer.from('kunde-øl-7', 'latin1'), needles)).toBe(false);
    expect(bytesName(null, needles)).toBe(false);
    expect(bytesName(Buffer.alloc(0), needles)).toBe(false);
  });

  it('looks in every header value: Buffers, strings and lists of them', () => {
    expect(headersName({ trace: Buffer.from('t-1'), subject: Buffer.from('cust-42') }, needles)).toBe(true);
    expect(headersName({ subject: 'kunde-øl-7' }, needles)).toBe(true);
    expect(headersName({ many: [Buffer.from('a'), Buffer.from('x cust-42 y')] }, needles)).toBe(true);
    expect(headersName({ trace: Buffer.from('t-1'), none: undefined }, needles)).toBe(false);
    expect(headersName(undefined, needles)).toBe(false);
  });

  it('never matches on an empty id', () => {
    expect(bytesName(Buffer.from('anything'), subjectNeedles(['']))).toBe(false);
  });
});
