/**
 * Compliance figures on PostgreSQL with the reference system's data:
 *  - subject search rate without and with the advised indexes,
 *  - redaction events/s (10k clear-text events of one subject),
 *  - crypto-shred plus verification of a subject with 10k sealed events.
 *   node --import tsx bench/compliance.ts [--events 200000]
 * Works in a scratch database on CHRONO_TEST_PG_URL's server, dropped at the end.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { proposePostgresMap } from '../src-main/engine/compliance/personal-data-map';
import { PgSubjectData, sealedFieldsOf } from '../src-main/engine/compliance/pg-subject-data';
import { generateBatches } from '../src-main/reference/generator/generate';
import { insertBatch } from '../src-main/reference/generator/write-postgres';
import { generateSubjectKey, sealEventWithKey } from '../src-main/reference/crypto/personal-data';
import { ensureReferenceSchema } from '../src-main/reference/postgres/schema';
import { insertSubjectKeys } from '../src-main/reference/postgres/subject-keys';
import { eventColumnArrays, INSERT_EVENTS_SQL } from '../src-main/reference/postgres/rows';
import type { DomainEvent } from '../src-main/reference/events';

const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' } } });
const total = Number(values.events);
const serverUrl = process.env.CHRONO_TEST_PG_URL ?? 'postgres://postgres:postgres@127.0.0.1:55432/postgres';
const name = `bench_compliance_${Date.now().toString(36)}`;
const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(serverUrl);
url.pathname = `/${name}`;
const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
pool.on('error', () => undefined); // idle clients are cut when the database is dropped
const never = new AbortController().signal;
const scan = { signal: never, progress: () => undefined };
const ms = (started: number) => performance.now() - started;

try {
  await ensureReferenceSchema(pool);
  const fill = performance.now();
  const client = await pool.connect();
  for (const batch of generateBatches({ events: total, seed: 7, batchSize: 5_000, snapshotEvery: 100 })) await insertBatch(client, batch);
  client.release();

  // A sealed subject with 10k events (address changes) and a clear-text one with 10k events.
  const sealedId = `cust-${randomUUID()}`;
  const key = { keyId: randomUUID(), subjectId: sealedId, key: generateSubjectKey() };
  await insertSubjectKeys(pool, [key]);
  const event = (aggregateId: string, version: number, type: string, data: Record<string, unknown>): DomainEvent => ({
    eventId: randomUUID(), type, aggregateId, aggregateType: 'Customer', version, timestamp: new Date().toISOString(), data, metadata: { correlationId: randomUUID(), causationId: randomUUID(), userId: aggregateId, schemaVersion: 1 },
  });
  const sealed = Array.from({ length: 10_000 }, (_, i) => sealEventWithKey(event(sealedId, i + 1, i === 0 ? 'CustomerRegistered' : 'CustomerAddressChanged', { email: `a${i}@example.org`, address: { street: `${i} Main St`, city: 'Oslo' } }), key));
  const clearId = `cust-${randomUUID()}`;
  const clear = Array.from({ length: 10_000 }, (_, i) => event(clearId, i + 1, 'ProfileUpdated', { email: `b${i}@example.org`, name: 'Bea Clear', plan: 'gold' }));
  for (const chunk of [sealed, clear]) for (let i = 0; i < chunk.length; i += 2_000) await pool.query(INSERT_EVENTS_SQL, eventColumnArrays(chunk.slice(i, i + 2_000)));
  await pool.query('ANALYZE events');
  const stored = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0]!.n);
  console.log(`store: ${stored.toLocaleString('en-US')} events (filled in ${(ms(fill) / 1000).toFixed(1)} s)`);

  const proposed = await proposePostgresMap(pool, 'bench', 20_000);
  const map = { ...proposed, events: proposed.events.map((e) => (e.eventType === 'ProfileUpdated' ? { ...e, personalPaths: [{ path: 'data.email', sealed: false }, { path: 'data.name', sealed: false }] } : e)) };
  const data = new PgSubjectData(pool, map);

  const advice = (await data.indexAdvice()).filter((a) => a.location === 'events');
  let started = performance.now();
  const unindexed = await data.countEvents([sealedId], false, scan);
  const scanMs = ms(started);
  console.log(`search without index: ${unindexed.location.count} events of the subject in ${scanMs.toFixed(0)} ms (${Math.round(stored / (scanMs / 1000)).toLocaleString('en-US')} events/s scanned; paths ${advice.map((a) => a.path).join(', ')})`);
  started = performance.now();
  await data.findMentions([sealedId], scan);
  console.log(`free-text mention scan: ${ms(started).toFixed(0)} ms`);

  started = performance.now();
  for (const a of advice) await pool.query(a.sql.replace(' CONCURRENTLY', ''));
  await pool.query('ANALYZE events');
  console.log(`advised indexes (${advice.length}) built in ${ms(started).toFixed(0)} ms`);
  if ((await data.indexAdvice()).some((a) => a.location === 'events')) throw new Error('advice remains after building the advised indexes');
  const runs: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    started = performance.now();
    await data.countEvents([sealedId], true, scan);
    runs.push(ms(started));
  }
  runs.sort((a, b) => a - b);
  console.log(`search with the advised indexes: median ${runs[2]!.toFixed(1)} ms over 5 runs`);
  started = performance.now();
  const inventory = [await data.countEvents([sealedId], true, scan), await data.countSnapshots([sealedId]), await data.countReadModels([sealedId]), await data.countKeys([sealedId])];
  console.log(`whole inventory (events, snapshots, read models, key store; no mention scan): ${ms(started).toFixed(1)} ms (${inventory.length} locations)`);

  // Redaction: the clear-text subject, in batches of 1000.
  started = performance.now();
  let after = '0';
  let changed = 0;
  for (;;) {
    const batch = await data.planRedaction([clearId], after, 1_000);
    if (batch.read === 0) break;
    await data.applyRedaction(batch);
    changed += batch.changed.length;
    after = batch.last!;
  }
  const redactMs = ms(started);
  console.log(`redaction: ${changed} events in ${redactMs.toFixed(0)} ms = ${Math.round(changed / (redactMs / 1000)).toLocaleString('en-US')} events/s`);

  // Shred + verify: delete the key, then check that none of the 10k events' sealed fields opens.
  started = performance.now();
  await data.shred([sealedId]);
  const keys = data.keyCache();
  let fields = 0;
  let opened = 0;
  after = '0';
  for (;;) {
    const rows = await data.subjectEvents([sealedId], after, 5_000);
    if (rows.length === 0) break;
    for (const row of rows) for (const { field, sealed: value } of sealedFieldsOf(row.data)) {
      fields += 1;
      if ((await keys.open(value, field)) !== undefined) opened += 1;
    }
    after = rows[rows.length - 1]!.position;
  }
  console.log(`shred + verify of a subject with 10,000 events: ${ms(started).toFixed(0)} ms (${fields} sealed fields, ${opened} still open)`);
} finally {
  await pool.end();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
