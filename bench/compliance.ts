/**
 * Compliance figures on PostgreSQL and Kafka with the reference system's data:
 *  - subject search without the advised indexes (scan rate, with the progress it reports) and with them,
 *  - the whole inventory: events, snapshots, two read models, key store, and a 1M-message topic,
 *    as the search job runs it (subjectLocations: store and topic side by side), with the main
 *    process's event-loop delay and peak RSS meanwhile; then its parts alone, the topic scan
 *    (kafka-subject-scan) beside a bare kafkajs consumer counting the same messages (the floor of
 *    any scan that lets kafkajs decode them) and their ratio,
 *  - redaction events/s (10k clear-text events of one subject), fresh and rerun (all redacted already),
 *  - crypto-shred plus verification of a subject with 10k sealed events.
 *   node --import tsx bench/compliance.ts [--events 200000] [--messages 1000000]
 *   CHRONO_BENCH_EVENTS=10000000 node --import tsx bench/compliance.ts
 * The store is kept in database bench_compliance_<events> on CHRONO_TEST_PG_URL's server
 * (events, snapshots, subject keys, accounts_view and orders_view filled once), the topic
 * in chrono_bench_compliance_<messages> on CHRONO_TEST_KAFKA_BROKERS; both are reused by
 * later runs. Each run re-creates its two subjects (fixed ids, old rows deleted first) and
 * drops the advised indexes of the previous run before measuring the search without them.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { kafkaSettings } from '../src-shared/schemas/connections';
import { createKafka } from '../src-main/engine/connections/drivers';
import { scanTopics, topicLocation } from '../src-main/engine/compliance/kafka-subject-scan';
import { proposePostgresMap } from '../src-main/engine/compliance/personal-data-map';
import { PgSubjectData, sealedFieldsOf, type ScanProgress } from '../src-main/engine/compliance/pg-subject-data';
import { copyBatches } from '../src-main/reference/generator/copy-source';
import { generateBatches } from '../src-main/reference/generator/generate';
import { formatProgress } from '../src-main/reference/generator/progress';
import { writeToPostgres } from '../src-main/reference/generator/write-postgres';
import { sealEventWithKey } from '../src-main/reference/crypto/personal-data';
import { generateSubjectKey } from '../src-main/engine/personal-data/sealed-fields';
import { ensureReferenceSchema } from '../src-main/reference/postgres/schema';
import { saveSnapshot } from '../src-main/reference/postgres/snapshots';
import { insertSubjectKeys } from '../src-main/reference/postgres/subject-keys';
import { eventColumnArrays, INSERT_EVENTS_SQL } from '../src-main/reference/postgres/rows';
import type { DomainEvent } from '../src-main/reference/events';
import { subjectLocations } from '../src-main/engine/compliance/subject-locations';
import { keptDatabasePool } from './database';
import { bareKafkajsCount, watchMainProcess } from './measure';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: process.env.CHRONO_BENCH_EVENTS ?? '200000' },
    messages: { type: 'string', default: '1000000' },
  },
});
const total = Number(values.events);
const messages = Number(values.messages);
const brokers = (process.env.CHRONO_TEST_KAFKA_BROKERS ?? '127.0.0.1:59092').split(',');
const database = `bench_compliance_${total}`;
const TOPIC = `chrono_bench_compliance_${messages >= 1_000_000 && messages % 1_000_000 === 0 ? `${messages / 1_000_000}m` : messages}`;
const PARTITIONS = 6;
/** Topic timestamps: one message every 10 ms from here; the search range covers them all. */
const TOPIC_START = Date.parse('2026-01-05T00:00:00.000Z');
const TOPIC_STEP_MS = 10;
/** One message in this many names the subject (by key, in the value, or in a header). */
const SUBJECT_EVERY = 2_000;
const FILLED_MARKER = 'bench-compliance-filled';
const INDEXES_MARKER = 'bench-compliance-advised-indexes';
// Fixed ids so the kept topic can name them; their rows are deleted and written again each run.
const sealedId = 'cust-bench-compliance-sealed';
const clearId = 'cust-bench-compliance-clear';

const load = () =>
  `load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (started: number) => performance.now() - started;
const say = (line: string) => console.log(`${line}   [${load()}]`);
const never = new AbortController().signal;
const quiet: ScanProgress = { signal: never, progress: () => undefined };

const pool = await keptDatabasePool(database, 4);
pool.on('error', () => undefined);
const kafka = createKafka(kafkaSettings.parse({ kind: 'kafka', brokers, clientId: 'chronoscope-bench' }), undefined, 2);

try {
  say(`start: ${database}, topic ${TOPIC}`);
  await fillStore(pool);
  await fillTopic(kafka);
  await resetSubjects(pool);
  await dropAdvisedIndexes(pool);

  const key = { keyId: randomUUID(), subjectId: sealedId, key: generateSubjectKey() };
  await insertSubjectKeys(pool, [key]);
  const stamp = Date.now();
  const event = (aggregateId: string, version: number, type: string, data: Record<string, unknown>): DomainEvent => ({
    eventId: randomUUID(),
    type,
    aggregateId,
    aggregateType: 'Customer',
    version,
    timestamp: new Date(stamp + version).toISOString(),
    data,
    metadata: { correlationId: randomUUID(), causationId: randomUUID(), userId: aggregateId, schemaVersion: 1 },
  });
  const sealed = Array.from({ length: 10_000 }, (_, i) =>
    sealEventWithKey(
      event(sealedId, i + 1, i === 0 ? 'CustomerRegistered' : 'CustomerAddressChanged', {
        email: `a${i}@example.org`,
        address: { street: `${i} Main St`, city: 'Oslo' },
      }),
      key,
    ),
  );
  const clear = Array.from({ length: 10_000 }, (_, i) =>
    event(clearId, i + 1, 'ProfileUpdated', { email: `b${i}@example.org`, name: 'Bea Clear', plan: 'gold' }),
  );
  for (const chunk of [sealed, clear])
    for (let i = 0; i < chunk.length; i += 2_000) await pool.query(INSERT_EVENTS_SQL, eventColumnArrays(chunk.slice(i, i + 2_000)));
  // The sealed subject in the other locations: snapshots of its stream, accounts and orders it owns.
  await saveSnapshot(
    pool,
    ...[100, 5_000, 10_000].map((version) => ({
      aggregateId: sealedId,
      aggregateType: 'Customer' as const,
      version,
      state: { customerId: sealedId, city: 'Oslo' },
      takenAt: new Date(stamp + version).toISOString(),
    })),
  );
  await pool.query(`INSERT INTO accounts_view SELECT 'acct-' || $1 || '-' || i, $1, 'EUR', 0, 'open', 1, now() FROM generate_series(1, 3) i`, [sealedId]);
  await pool.query(
    `INSERT INTO orders_view SELECT 'ord-' || $1 || '-' || i, $1, 'placed', 'EUR', 1000, 1, NULL, NULL, now(), 1, now() FROM generate_series(1, 5) i`,
    [sealedId],
  );
  await pool.query('ANALYZE events');
  const stored = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0]!.n);
  const counts = (
    await pool.query<{ snapshots: string; accounts: string; orders: string; keys: string }>(
      'SELECT (SELECT count(*) FROM snapshots) AS snapshots, (SELECT count(*) FROM accounts_view) AS accounts, (SELECT count(*) FROM orders_view) AS orders, (SELECT count(*) FROM subject_keys) AS keys',
    )
  ).rows[0]!;
  say(
    `store: ${fmt(stored)} events, ${fmt(Number(counts.snapshots))} snapshots, accounts_view ${fmt(Number(counts.accounts))} rows, orders_view ${fmt(Number(counts.orders))} rows, ${fmt(Number(counts.keys))} subject keys`,
  );

  const proposed = await proposePostgresMap(pool, 'bench', 20_000);
  const map = {
    ...proposed,
    events: proposed.events.map((e) =>
      e.eventType === 'ProfileUpdated'
        ? {
            ...e,
            personalPaths: [
              { path: 'data.email', sealed: false },
              { path: 'data.name', sealed: false },
            ],
          }
        : e,
    ),
  };
  const data = new PgSubjectData(pool, map);
  say(
    `map: ${map.events.length} event types, subject paths ${data.subjectPaths().join(', ')}; read models ${map.readModels.map((m) => `${m.table}.${m.subjectColumn}`).join(', ')}; snapshots ${map.snapshots?.subjectPaths.join(', ') ?? 'none'}`,
  );

  // Without the advised indexes: the stepped scan, with the progress it reports to the screen.
  const advice = await data.indexAdvice();
  let started = performance.now();
  let reports = 0;
  let lastReport = 0;
  const unindexed = await data.countEvents([sealedId], false, {
    signal: never,
    progress: (done, of) => {
      reports += 1;
      if (performance.now() - lastReport >= 5_000 || done === of) {
        lastReport = performance.now();
        process.stderr.write(
          `  progress ${fmt(done)} / ${fmt(of)} (${((done / of) * 100).toFixed(0)}%) after ${(ms(started) / 1000).toFixed(1)} s, ${fmt(done / (ms(started) / 1000))} events/s\n`,
        );
      }
    },
  });
  const scanMs = ms(started);
  say(
    `search without index: ${unindexed.location.count} events of the subject in ${fmt(scanMs)} ms = ${fmt(stored / (scanMs / 1000))} events/s scanned (${fmt(unindexed.scanned)} positions in steps of 200k) (${reports} progress reports; advised: ${advice.map((a) => a.path).join(', ')})`,
  );

  started = performance.now();
  const builder = await pool.connect();
  await builder.query("SET maintenance_work_mem = '256MB'");
  for (const a of advice) await builder.query(a.sql.replace(' CONCURRENTLY', ''));
  builder.release();
  await pool.query('INSERT INTO reference_markers (name, details) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET details = EXCLUDED.details', [
    INDEXES_MARKER,
    JSON.stringify({ names: advice.map((a) => /CREATE INDEX CONCURRENTLY (\S+) ON/.exec(a.sql)?.[1]).filter(Boolean) }),
  ]);
  await pool.query('ANALYZE events');
  say(`advised indexes (${advice.length}: ${advice.map((a) => a.location).join(', ')}) built in ${fmt(ms(started))} ms`);
  // Small tables may still be read whole (the planner prefers it): only the events must be served by an index now.
  if ((await data.indexAdvice()).some((a) => a.location === 'events')) throw new Error('advice remains on events after building the advised indexes');
  const runs: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    started = performance.now();
    await data.countEvents([sealedId], true, quiet);
    runs.push(ms(started));
  }
  runs.sort((a, b) => a - b);
  say(`search with the advised indexes: median ${runs[2]!.toFixed(1)} ms over 5 runs (max ${runs[4]!.toFixed(1)} ms)`);

  // The whole inventory as the search job runs it (subjectLocations): the store's counts while the topic is scanned; the main process watched meanwhile
  // (first: the bare kafkajs consumer below leaves the process's heap grown).
  const topicScope = { topics: [TOPIC], from: new Date(TOPIC_START).toISOString(), to: new Date(TOPIC_START + messages * TOPIC_STEP_MS).toISOString() };
  const watch = watchMainProcess();
  started = performance.now();
  const whole = await subjectLocations(data, [sealedId], true, { kafka, scope: topicScope }, quiet);
  const wholeMs = ms(started);
  const main = watch.stop();
  say(
    `whole inventory (events, snapshots, 2 read models, key store, ${fmt(messages)}-message topic; no mention scan): ${fmt(wholeMs)} ms (${whole.locations.map((l) => `${l.location} ${l.count}`).join(', ')}); goal <= 2,000 ms`,
  );
  say(`main process during the whole inventory: ${main.words}`);

  // The whole inventory's parts alone: the store's counts, then the topic scan beside a bare kafkajs consumer counting the same messages (the floor).
  started = performance.now();
  const inventory = [
    (await data.countEvents([sealedId], true, quiet)).location,
    await data.countSnapshots([sealedId]),
    ...(await data.countReadModels([sealedId])),
    await data.countKeys([sealedId]),
  ];
  const storeMs = ms(started);
  say(`whole inventory, store part (${inventory.map((l) => `${l?.location} ${l?.count}`).join(', ')}): ${storeMs.toFixed(1)} ms`);
  started = performance.now();
  const [finding] = await scanTopics(kafka, topicScope, [sealedId], quiet, data.keyCache());
  const topicMs = ms(started);
  const floor = await bareKafkajsCount(kafka, TOPIC);
  say(
    `whole inventory, topic ${TOPIC}: ${fmt(finding!.scanned)} messages read, ${finding!.count} of the subject (${(topicLocation(finding!).note ?? '').split(';').slice(0, 2).join(';')}) in ${fmt(topicMs)} ms = ${fmt(finding!.scanned / (topicMs / 1000))} messages/s; ` +
      `a bare kafkajs consumer only counting them: ${fmt(floor.ms)} ms (${fmt(floor.messages)} messages); scan / bare consumer = ${(topicMs / floor.ms).toFixed(2)}`,
  );

  started = performance.now();
  await data.findMentions([sealedId], quiet);
  say(`free-text mention scan (not part of the inventory above): ${fmt(ms(started))} ms`);

  // Redaction: the clear-text subject, in batches of 1000; then again, as a rerun of the erasure finds it (everything already redacted: read, nothing written).
  const redact = async () => {
    const begun = performance.now();
    let after = '0';
    let read = 0;
    let changed = 0;
    for (;;) {
      const batch = await data.planRedaction([clearId], after, 1_000);
      if (batch.read === 0) break;
      await data.applyRedaction(batch);
      read += batch.read;
      changed += batch.changed.length;
      after = batch.last!;
    }
    return { read, changed, ms: ms(begun) };
  };
  const fresh = await redact();
  const rerun = await redact();
  say(
    `redaction: ${fresh.changed} events in ${fmt(fresh.ms)} ms = ${fmt(fresh.changed / (fresh.ms / 1000))} events/s; ` +
      `rerun (${fmt(rerun.read)} events read, ${rerun.changed} changed) in ${fmt(rerun.ms)} ms = ${fmt(rerun.read / (rerun.ms / 1000))} events/s`,
  );

  // Shred + verify: delete the key, then check that none of the 10k events' sealed fields opens.
  started = performance.now();
  await data.shred([sealedId]);
  const keys = data.keyCache();
  let fields = 0;
  let opened = 0;
  let after = '0';
  for (;;) {
    const rows = await data.subjectEvents([sealedId], after, 5_000);
    if (rows.length === 0) break;
    for (const row of rows)
      for (const { field, sealed: value } of sealedFieldsOf(row.data)) {
        fields += 1;
        if ((await keys.open(value, field)) !== undefined) opened += 1;
      }
    after = rows[rows.length - 1]!.position;
  }
  say(`shred + verify of a subject with 10,000 events: ${fmt(ms(started))} ms (${fields} sealed fields, ${opened} still open)`);
} finally {
  await pool.end();
}

/** Fills the kept database once: COPY from a worker, snapshots and keys with it, then the two read models from the events. */
async function fillStore(db: pg.Pool): Promise<void> {
  const marker = await db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'reference_markers'");
  if (marker.rowCount === 1 && (await db.query('SELECT 1 FROM reference_markers WHERE name = $1', [FILLED_MARKER])).rowCount === 1) return;
  for (const table of ['events', 'snapshots', 'subject_keys', 'accounts_view', 'orders_view', 'reference_markers'])
    await db.query(`DROP TABLE IF EXISTS ${table} CASCADE`);
  await ensureReferenceSchema(db);
  say(`filling ${database} with ${fmt(total)} reference events (kept for later runs)`);
  let started = performance.now();
  let shown = started;
  const written = await writeToPostgres(db, copyBatches({ events: total, seed: 7 }, { worker: true }), {
    total,
    method: 'copy',
    fresh: true,
    onProgress: (p) => {
      if (performance.now() - shown < 10_000 && p.events < total) return;
      shown = performance.now();
      process.stderr.write(`  ${formatProgress(p)}\n`);
    },
  });
  say(`filled events, snapshots and keys in ${(ms(started) / 1000).toFixed(1)} s (${fmt(written.events / (ms(started) / 1000))} events/s)`);
  // The reference system projects these through Kafka; the generator writes only the store: their opening rows, from the events, in one pass each.
  started = performance.now();
  await db.query(`INSERT INTO accounts_view (account_id, owner_id, currency, balance_cents, status, version, updated_at)
    SELECT aggregate_id, event_data ->> 'ownerId', event_data ->> 'currency', 0, 'open', event_version, "timestamp" FROM events WHERE event_type = 'AccountOpened'
    ON CONFLICT (account_id) DO NOTHING`);
  await db.query(`INSERT INTO orders_view (order_id, customer_id, status, currency, total_cents, item_count, carrier, tracking_number, placed_at, version, updated_at)
    SELECT aggregate_id, event_data ->> 'customerId', 'placed', event_data ->> 'currency', (event_data ->> 'totalCents')::bigint,
      (SELECT coalesce(sum((line ->> 'quantity')::int), 0) FROM jsonb_array_elements(event_data -> 'lines') line), NULL, NULL, "timestamp", event_version, "timestamp"
    FROM events WHERE event_type = 'OrderPlaced'
    ON CONFLICT (order_id) DO NOTHING`);
  await db.query('VACUUM ANALYZE');
  await db.query('INSERT INTO reference_markers (name, details) VALUES ($1, $2)', [FILLED_MARKER, JSON.stringify({ events: total })]);
  say(`filled accounts_view and orders_view from the events in ${(ms(started) / 1000).toFixed(1)} s`);
}

/** Deletes the rows an earlier run wrote for the two subjects (events, snapshots, read models, key). */
async function resetSubjects(db: pg.Pool): Promise<void> {
  const ids = [sealedId, clearId];
  await db.query('DELETE FROM events WHERE aggregate_id = ANY($1::text[])', [ids]);
  await db.query('DELETE FROM snapshots WHERE aggregate_id = ANY($1::text[])', [ids]);
  await db.query('DELETE FROM accounts_view WHERE owner_id = ANY($1::text[])', [ids]);
  await db.query('DELETE FROM orders_view WHERE customer_id = ANY($1::text[])', [ids]);
  await db.query('DELETE FROM subject_keys WHERE subject_id = ANY($1::text[])', [ids]);
  // The dead rows of the earlier run out of the way, so every run measures the same store (only pages changed since are read).
  await db.query('VACUUM events, snapshots, accounts_view, orders_view, subject_keys');
}

/** Drops the indexes the previous run built on the advice, so the search without them is measured again. */
async function dropAdvisedIndexes(db: pg.Pool): Promise<void> {
  const { rows } = await db.query<{ details: { names?: string[] } }>('SELECT details FROM reference_markers WHERE name = $1', [INDEXES_MARKER]);
  for (const name of rows[0]?.details.names ?? []) await db.query(`DROP INDEX IF EXISTS "${name.replace(/"/g, '""')}"`);
  await db.query('DELETE FROM reference_markers WHERE name = $1', [INDEXES_MARKER]);
}

/**
 * Fills the kept topic once: reference events as JSON values keyed by their stream,
 * timestamps one every 10 ms from TOPIC_START; one message in SUBJECT_EVERY names the
 * sealed subject (by key, in the value, or in a header). Kept forever (retention.ms -1).
 */
async function fillTopic(client: Kafka): Promise<void> {
  const admin = client.admin();
  await admin.connect();
  try {
    const existing = (await admin.listTopics()).includes(TOPIC);
    if (existing) {
      const have = (await admin.fetchTopicOffsets(TOPIC)).reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
      if (have === messages) return;
      say(`topic ${TOPIC} holds ${fmt(have)} messages, not ${fmt(messages)}: filling it again`);
      await admin.deleteTopics({ topics: [TOPIC] });
      await waitFor(async () => !(await admin.listTopics()).includes(TOPIC));
    }
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: TOPIC, numPartitions: PARTITIONS, configEntries: [{ name: 'retention.ms', value: '-1' }] }],
    });
  } finally {
    await admin.disconnect();
  }
  say(`filling topic ${TOPIC} with ${fmt(messages)} messages (kept for later runs)`);
  const producer = client.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const started = performance.now();
  let sent = 0;
  for (const batch of generateBatches({ events: messages, seed: 3, batchSize: 10_000, snapshotEvery: 0 })) {
    const out = batch.events.map((e, i) => {
      const n = sent + i;
      const timestamp = String(TOPIC_START + n * TOPIC_STEP_MS);
      if (n % SUBJECT_EVERY !== SUBJECT_EVERY - 1) return { key: e.aggregateId, value: JSON.stringify(e), timestamp };
      const kind = Math.floor(n / SUBJECT_EVERY) % 3;
      const named = { ...e, data: { ...e.data, customerId: sealedId } };
      if (kind === 0) return { key: sealedId, value: JSON.stringify({ ...named, aggregateId: sealedId }), timestamp };
      if (kind === 1) return { key: e.aggregateId, value: JSON.stringify(named), timestamp };
      return { key: e.aggregateId, value: JSON.stringify(e), timestamp, headers: { subject: sealedId } };
    });
    // Under the broker's 1 MB record batch per partition.
    for (let i = 0; i < out.length; i += 2_000) await producer.send({ topic: TOPIC, messages: out.slice(i, i + 2_000) });
    sent += out.length;
    if (sent % 100_000 === 0 || sent === messages) process.stderr.write(`  ${fmt(sent)} / ${fmt(messages)} messages, ${fmt(sent / (ms(started) / 1000))}/s\n`);
  }
  await producer.disconnect();
  say(`filled topic ${TOPIC} in ${(ms(started) / 1000).toFixed(1)} s`);
}

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100 && !(await condition()); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
}
