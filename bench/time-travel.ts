/**
 * Time travel figures on a 1M-event account stream in PostgreSQL:
 * - a full replay from version 1 read through the EventStore port, s and events/s
 *   (median of --replays runs), also with a definition that handles one type of two;
 * - beside it, the floor: PostgreSQL streaming the same rows out (`COPY (SELECT ...) TO
 *   STDOUT`, discarded), run alternately with the replays so a shared machine's noise
 *   falls on both, and the replay's ratio to it;
 * - where a full replay's time goes, each part alone in the same run: the read (PostgreSQL
 *   encoding the tuples, transport, framing into batches; pages discarded), the fold of those
 *   pages in the sandbox (message to the worker, JSON.parse in the context, the reducer), and
 *   JSON.parse of the same pages on this thread (the parse's share of the fold);
 * - the sandboxed reducer alone (events already in memory), events/s;
 * - the CPU the replay and the floor spent (this process with its sandbox worker, and the
 *   PostgreSQL backends), which compares them whatever the machine's load;
 * - the state at a version near the end with a snapshot 100 events earlier, ms;
 * - memory (RSS) during the full replay.
 *   node --import tsx bench/time-travel.ts [--events 1000000] [--runs 15] [--replays 3]
 * The stream is kept in database bench_timetravel_<events> on CHRONO_TEST_PG_URL's server.
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { to as copyTo } from 'pg-copy-streams';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DefinitionSource } from '../src-main/engine/definitions/definitions';
import { stateAt } from '../src-main/engine/time-travel/reconstruct';
import { Sandbox, encodeBatch } from '../src-main/engine/definitions';
import { encodedBatch } from '../src-main/stores/replay-wire';
import { REPLAY_PAGE_SIZE } from '../src-main/stores/event-store';
import { ensureReferenceSchema } from '../src-main/reference/postgres/schema';
import type { StoredEventView } from '../src-main/stores/event-store';
import { presetMapping } from '../src-main/stores/presets';
import { PostgresEventStore } from '../src-main/stores/postgres/postgres-event-store';
import { printMedian } from './measure';
import { keptDatabasePool } from './database';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '15' }, replays: { type: 'string', default: '3' } },
});
const total = Number(values.events);
const runs = Number(values.runs);
const replays = Number(values.replays);
const STREAM = 'account-bench-long';
const SNAPSHOT_GAP = 100;
const database = `bench_timetravel_${total}`;
const account: DefinitionSource = { name: 'account.js', source: readFileSync(join(import.meta.dirname, '../resources/projections/account.js'), 'utf8') };
const mb = () => process.memoryUsage().rss / 1048576;

const pool = await keptDatabasePool(database, 3);

await ensureReferenceSchema(pool);
const have = Number((await pool.query<{ n: string | null }>('SELECT max(event_version) AS n FROM events WHERE aggregate_id = $1', [STREAM])).rows[0]?.n ?? 0);
if (have < total) {
  console.log(`writing a ${total.toLocaleString('en-US')}-event account stream into ${database} (kept for later runs)`);
  await pool.query('DELETE FROM events WHERE aggregate_id = $1', [STREAM]);
  await pool.query('DELETE FROM snapshots WHERE aggregate_id = $1', [STREAM]);
  // Server-side generate_series in chunks: the bench measures reads, not this load.
  const chunk = 100_000;
  for (let from = 1; from <= total; from += chunk) {
    const to = Math.min(total, from + chunk - 1);
    await pool.query(
      `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, metadata, "timestamp")
       SELECT gen_random_uuid(), $1, 'Account',
              CASE WHEN v = 1 THEN 'AccountOpened' ELSE 'MoneyDeposited' END, v,
              CASE WHEN v = 1 THEN jsonb_build_object('ownerId', 'owner-bench', 'currency', 'EUR')
                   ELSE jsonb_build_object('amountCents', 100, 'balanceCents', (v - 1) * 100) END,
              jsonb_build_object('correlationId', 'bench-' || v, 'userId', 'bench', 'schemaVersion', 1),
              timestamptz '2025-01-01T00:00:00Z' + v * interval '1 second'
       FROM generate_series($2::int, $3::int) AS v`,
      [STREAM, from, to],
    );
    process.stderr.write(`\r  ${to.toLocaleString('en-US')} events`);
  }
  process.stderr.write('\n');
  const snapshotVersion = total - SNAPSHOT_GAP;
  await pool.query(`INSERT INTO snapshots (aggregate_id, aggregate_type, version, state) VALUES ($1, 'Account', $2, $3)`, [
    STREAM,
    snapshotVersion,
    JSON.stringify({ status: 'open', ownerId: 'owner-bench', currency: 'EUR', balanceCents: (snapshotVersion - 1) * 100 }),
  ]);
  await pool.query('ANALYZE events');
}
const store = await PostgresEventStore.open(pool, presetMapping('classic'));

// CPU time, beside wall time: on a shared machine a replay waits for cores it does not use, so
// the CPU it and the floor spent (this process's threads, sandbox worker included, plus the
// PostgreSQL backends of the pool, read from /proc) compares them whatever the load.
const backendPids = await (async () => {
  const clients = await Promise.all(Array.from({ length: 3 }, () => pool.connect()));
  try {
    return await Promise.all(clients.map(async (c) => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid));
  } finally {
    clients.forEach((c) => c.release());
  }
})();
/** CPU seconds of the pool's PostgreSQL backends (0 where /proc cannot be read: another machine's server). */
const postgresCpu = (): number =>
  backendPids.reduce((sum, pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return sum + (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return sum;
    }
  }, 0);
/** Runs `body`, returning its wall seconds and the CPU seconds of this process and of PostgreSQL. */
const timed = async (body: () => Promise<void>): Promise<{ wall: number; node: number; postgres: number }> => {
  const pg0 = postgresCpu();
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  await body();
  const cpu = process.cpuUsage(cpu0);
  return { wall: (performance.now() - started) / 1000, node: (cpu.user + cpu.system) / 1e6, postgres: postgresCpu() - pg0 };
};

/** The floor: PostgreSQL handing over the rows a replay reads (the stream's version, type, payload, metadata, time and id, in order), discarded. */
const copyFloor = async () => {
  const client = await pool.connect();
  try {
    const sql = `COPY (SELECT event_version, event_type, event_data, metadata, "timestamp", event_id FROM events WHERE aggregate_id = ${client.escapeLiteral(STREAM)} ORDER BY event_version) TO STDOUT`;
    return await timed(() => pipeline(client.query(copyTo(sql)), new Writable({ write: (_chunk, _encoding, done) => done() })));
  } finally {
    client.release();
  }
};
/** The full replay's median (the one measured beside the floor). */
let lastReplaySeconds = 0;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

// 1. Full replay from version 1, read through the port (first, before the reducer's batches fill the heap).
//    Median of --replays runs; each run is printed, the machine may be shared. With `floor`, each replay
//    follows a COPY of the same rows, and the ratio of the medians is printed.
const fullReplay = async (definition: DefinitionSource, label: string, check: (state: unknown) => boolean, floor = false) => {
  const seconds: number[] = [];
  const floors: number[] = [];
  const rss: number[] = [];
  const cpu = { replay: [] as number[], replayPostgres: [] as number[], floor: [] as number[], floorPostgres: [] as number[] };
  for (let i = 0; i < replays; i++) {
    if (floor) {
      const copy = await copyFloor();
      floors.push(copy.wall);
      cpu.floor.push(copy.node + copy.postgres);
      cpu.floorPostgres.push(copy.postgres);
    }
    rss.push(mb());
    const run = await timed(async () => {
      const result = await stateAt(store, STREAM, { version: total }, definition, {
        onProgress: (p) => {
          if (p.applied % 100_000 === 0) rss.push(mb());
        },
      });
      if (result.version !== total || !check(result.state)) throw new Error(`${label}: the replay produced the wrong state`);
    });
    seconds.push(run.wall);
    cpu.replay.push(run.node + run.postgres);
    cpu.replayPostgres.push(run.postgres);
  }
  const replay = median(seconds);
  if (floor) lastReplaySeconds = replay;
  console.log(
    `  ${label.padEnd(46)} ${replay.toFixed(2).padStart(7)} s   ${Math.round(total / replay)
      .toLocaleString('en-US')
      .padStart(10)} events/s   (median of ${seconds.map((t) => t.toFixed(2)).join(', ')} s)`,
  );
  if (floor) {
    const copy = median(floors);
    console.log(
      `  ${'floor: PostgreSQL COPY of the same rows out'.padEnd(46)} ${copy.toFixed(2).padStart(7)} s   ${Math.round(total / copy)
        .toLocaleString('en-US')
        .padStart(10)} rows/s     (median of ${floors.map((t) => t.toFixed(2)).join(', ')} s)`,
    );
    console.log(`  ${'replay / floor'.padEnd(46)} ${(replay / copy).toFixed(2).padStart(7)} x   (goal: within 1.5x)`);
    const [replayCpu, floorCpu] = [median(cpu.replay), median(cpu.floor)];
    console.log(
      `  ${'CPU spent: replay / floor'.padEnd(46)} ${(replayCpu / floorCpu).toFixed(2).padStart(7)} x   (replay ${replayCpu.toFixed(2)} s of which PostgreSQL ${median(cpu.replayPostgres).toFixed(2)} s; floor ${floorCpu.toFixed(2)} s of which PostgreSQL ${median(cpu.floorPostgres).toFixed(2)} s; medians)`,
    );
  }
  return rss;
};
{
  const rss: number[] = await fullReplay(
    account,
    `full replay of ${total.toLocaleString('en-US')} events from PostgreSQL`,
    (state) => (state as { balanceCents: number }).balanceCents === (total - 1) * 100,
    true,
  );
  console.log(`  RSS during replay (MB)                        min ${Math.min(...rss).toFixed(0)}  max ${Math.max(...rss).toFixed(0)}`);
  // A definition that handles only the opening event: the deposits are counted toward the version, never shipped.
  const opened: DefinitionSource = {
    name: 'opened.js',
    source: `definition = { name: 'opened', init: () => ({ opened: 0 }), handlers: { AccountOpened: (s) => ({ opened: s.opened + 1 }) } };`,
  };
  await fullReplay(opened, '  same, definition handling 1 of the 2 types', (state) => (state as { opened: number }).opened === 1);
}

// 1b. Where the time goes: the replay's read and its fold, each alone.
{
  const pageSize = REPLAY_PAGE_SIZE;
  const readStarted = performance.now();
  const pages = await store.streamReplayPages(STREAM, { fromVersion: 1, toVersion: total, pageSize, readAhead: 1_000_000 });
  if (!pages) throw new Error('this store has no streamed replay');
  const kept: { text: string; refs: { length: number; at: () => undefined } }[] = [];
  for await (const page of pages) kept.push({ text: encodedBatch(page), refs: { length: page.count, at: () => undefined } });
  const readSeconds = (performance.now() - readStarted) / 1000;
  const parseStarted = performance.now();
  for (const page of kept) JSON.parse(page.text);
  const parseSeconds = (performance.now() - parseStarted) / 1000;
  const run = await Sandbox.start(account.source, account.name);
  const foldStarted = performance.now();
  for (const page of kept) await run.applyEncoded(page.text, page.refs, { state: false });
  const foldSeconds = (performance.now() - foldStarted) / 1000;
  await run.close();
  const mbRead = kept.reduce((n, p) => n + p.text.length, 0) / 1048576;
  const line = (label: string, seconds: number, note: string) => console.log(`  ${label.padEnd(46)} ${seconds.toFixed(2).padStart(7)} s   ${note}`);
  console.log(`  where the time goes, each part alone (${kept.length} pages of ${pageSize.toLocaleString('en-US')}, ${mbRead.toFixed(0)} MB of tuples):`);
  line('  read: PostgreSQL encodes, host frames', readSeconds, '(one binary COPY of the tuples, pages discarded)');
  line('  fold: message + parse in sandbox + reducer', foldSeconds, '(the same pages, one sandbox worker)');
  line('    of which JSON.parse (same pages, this thread)', parseSeconds, '');
  console.log(
    `  ${'  overlap: replay vs the larger of the two'.padEnd(46)} ${(lastReplaySeconds / Math.max(readSeconds, foldSeconds)).toFixed(2).padStart(7)} x`,
  );
}

// 2. The reducer alone: batches encoded beforehand (not timed), applied 1000 events at a time.
{
  const batch = 1000;
  const run = await Sandbox.start(account.source, account.name);
  const events = (start: number): StoredEventView[] =>
    Array.from({ length: batch }, (_, i) => {
      const version = start + i;
      return {
        streamId: STREAM,
        category: 'Account',
        version,
        position: String(version),
        eventId: null,
        type: version === 1 ? 'AccountOpened' : 'MoneyDeposited',
        timestamp: null,
        data: version === 1 ? { ownerId: 'o', currency: 'EUR' } : { amountCents: 100, balanceCents: (version - 1) * 100 },
        metadata: {},
      };
    });
  const encoded: { text: string; refs: { streamId: string; version: number; type: string }[] }[] = [];
  for (let start = 1; start <= total; start += batch) {
    const page = events(start);
    encoded.push({ text: encodeBatch(page), refs: page.map((e) => ({ streamId: e.streamId, version: e.version, type: e.type })) });
  }
  const started = performance.now();
  for (const page of encoded) await run.applyEncoded(page.text, page.refs, { state: false });
  const state = (await run.state()) as { balanceCents: number };
  const seconds = (performance.now() - started) / 1000;
  await run.close();
  if (state.balanceCents !== (total - 1) * 100) throw new Error(`reducer produced balance ${state.balanceCents}`);
  console.log(
    `  reducer alone (sandbox, in-memory events)     ${seconds.toFixed(2).padStart(7)} s   ${Math.round(total / seconds)
      .toLocaleString('en-US')
      .padStart(10)} events/s`,
  );
}

// 3. Near the end with a snapshot SNAPSHOT_GAP events earlier: snapshot lookup + sandbox start + replay of the tail.
{
  const target = total - 10;
  const once = async () => {
    const { rows } = await pool.query<{ version: number; state: unknown }>(
      'SELECT version, state FROM snapshots WHERE aggregate_id = $1 AND version <= $2 ORDER BY version DESC LIMIT 1',
      [STREAM, target],
    );
    const result = await stateAt(store, STREAM, { version: target }, account, rows[0] ? { snapshot: rows[0] } : {});
    if (result.fromSnapshotVersion !== total - SNAPSHOT_GAP) throw new Error('the snapshot was not used');
    if ((result.state as { balanceCents: number }).balanceCents !== (target - 1) * 100) throw new Error('snapshot replay produced the wrong balance');
  };
  await printMedian(`state at v${target.toLocaleString('en-US')}, snapshot ${SNAPSHOT_GAP} earlier`, runs, once);
}

await pool.end();
