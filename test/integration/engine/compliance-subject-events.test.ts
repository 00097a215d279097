/**
 * The subject's events (redaction, export, verification) are read in pages after a position.
 * Where indexes serve every subject path the pages come from those indexes, else from the walk
 * along the position index: both ways give the same events in the same order, and with the
 * indexes a subject whose events sit at the head is reached without reading the others.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgSubjectData } from '../../../src-main/engine/compliance/pg-subject-data';
import type { DomainEvent } from '../../../src-main/reference/events';
import { eventColumnArrays, INSERT_EVENTS_SQL } from '../../../src-main/reference/postgres/rows';
import { ensureReferenceSchema } from '../../../src-main/reference/postgres/schema';
import type { PersonalDataMap } from '../../../src-shared/schemas/compliance';
import { createTestDatabase, type TestDatabase } from '../reference/support';

const SUBJECT = 'cust-subject-events-1';
let db: TestDatabase;

const map = {
  connectionId: 'test',
  events: [
    { eventType: 'ProfileUpdated', subjectPaths: ['streamId', 'metadata.userId'], personalPaths: [{ path: 'data.email', sealed: false }] },
    { eventType: 'OrderPlaced', subjectPaths: ['data.customerId', 'metadata.userId'], personalPaths: [] },
  ],
  readModels: [],
  requireSecondApprover: false,
} as unknown as PersonalDataMap;

const event = (aggregateId: string, version: number, type: string, data: Record<string, unknown>, userId: string): DomainEvent => ({
  eventId: randomUUID(),
  type,
  aggregateId,
  aggregateType: type === 'OrderPlaced' ? 'Order' : 'Customer',
  version,
  timestamp: new Date(Date.UTC(2026, 0, 1) + version).toISOString(),
  data,
  metadata: { correlationId: randomUUID(), causationId: randomUUID(), userId, schemaVersion: 1 },
});

beforeAll(async () => {
  db = await createTestDatabase('subject_events');
  await ensureReferenceSchema(db.pool);
  // 30,000 events of others, then the subject's: its own stream, orders naming it, and others' events it acted in.
  const others = Array.from({ length: 30_000 }, (_, i) =>
    event(`cust-other-${i % 500}`, Math.floor(i / 500) + 1, 'ProfileUpdated', { email: `o${i}@example.org` }, 'svc'),
  );
  const subject = [
    ...Array.from({ length: 1_200 }, (_, i) => event(SUBJECT, i + 1, 'ProfileUpdated', { email: `s${i}@example.org` }, SUBJECT)),
    ...Array.from({ length: 300 }, (_, i) => event(`order-s-${i}`, 1, 'OrderPlaced', { customerId: SUBJECT, totalCents: i }, 'svc')),
    ...Array.from({ length: 200 }, (_, i) => event(`cust-helped-${i}`, 1, 'ProfileUpdated', { email: `h${i}@example.org` }, SUBJECT)),
  ];
  for (const chunk of [others, subject])
    for (let i = 0; i < chunk.length; i += 2_000) await db.pool.query(INSERT_EVENTS_SQL, eventColumnArrays(chunk.slice(i, i + 2_000)));
  await db.pool.query('ANALYZE events');
}, 120_000);

afterAll(async () => {
  await db?.drop();
});

async function allPages(data: PgSubjectData, limit: number): Promise<string[]> {
  const positions: string[] = [];
  let after = '0';
  for (;;) {
    const page = await data.subjectEvents([SUBJECT], after, limit);
    if (page.length === 0) return positions;
    positions.push(...page.map((row) => row.position));
    after = page[page.length - 1]!.position;
  }
}

describe('the subject events read in pages', () => {
  it('gives the same pages with and without the subject indexes, and with them reads through them', async () => {
    const walked = await allPages(new PgSubjectData(db.pool, map), 250);
    expect(walked).toHaveLength(1_700);
    expect([...walked].sort((a, b) => Number(a) - Number(b))).toEqual(walked);

    const data = new PgSubjectData(db.pool, map);
    for (const advice of await data.indexAdvice()) await db.pool.query(advice.sql.replace(' CONCURRENTLY', ''));
    await db.pool.query('ANALYZE events');
    const indexed = new PgSubjectData(db.pool, map);
    expect(await allPages(indexed, 250)).toEqual(walked);
    expect(await allPages(indexed, 1)).toEqual(walked);

    // The first page: the subject's rows, not the 30,000 before them.
    const sent = await firstPageSql(indexed);
    const { rows } = await db.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN ANALYZE ${sent.text}`, sent.values);
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan).toMatch(/Bitmap Index Scan/);
    expect(plan).not.toMatch(/Rows Removed by Filter: [0-9]{4,}/);
  });
});

/** The SQL subjectEvents sent for the first page, caught from the pool. */
async function firstPageSql(data: PgSubjectData): Promise<{ text: string; values: unknown[] }> {
  const pool = db.pool as unknown as { query: (text: string, values: unknown[]) => Promise<unknown> };
  const original = pool.query.bind(pool);
  let caught: { text: string; values: unknown[] } | undefined;
  pool.query = async (text, values) => {
    if (text.includes('event_id::text')) caught = { text, values };
    return original(text, values);
  };
  try {
    await data.subjectEvents([SUBJECT], '0', 250);
  } finally {
    pool.query = original;
  }
  return caught!;
}
