/**
 * Rebuild of one read model, side by side in one run: Emmett's own
 * `rebuildPostgreSQLProjections` with a Pongo single-stream projection, and
 * Chronoscope's rebuild with a user definition computing the same balances,
 * both over the same Emmett PostgreSQL store written with Emmett's library.
 *   node --import tsx bench/rebuild-vs-emmett.ts [--events 20000] [--accounts 1000] [--emmett-seconds 120] [--pg URL]
 * Emmett rebuilds a few hundred events per second here, so it gets a time budget
 * (--emmett-seconds, 0 for none): past it, it is stopped cleanly and its rate is the one
 * measured over the events it did, printed per slice of the budget, so a rate that falls
 * as it goes shows; Chronoscope rebuilds all the events.
 * Writes into a scratch database (created and dropped) on CHRONO_TEST_PG_URL's server.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { ReadEvent } from '@event-driven-io/emmett';
import {
  getPostgreSQLEventStore,
  pongoSingleStreamProjection,
  rebuildPostgreSQLProjections,
  type PostgresReadEventMetadata,
} from '@event-driven-io/emmett-postgresql';
import pg from 'pg';
import { userReadModel } from '../src-main/engine/definitions';
import { rebuildPostgres } from '../src-main/engine/rebuild/rebuild-postgres';
import { PostgresEventStore } from '../src-main/stores/postgres/postgres-event-store';
import { emmettPreset } from '../src-main/stores/presets/emmett';
import { CHRONOSCOPE_PG_TYPES } from '../src-main/stores/postgres/pg-types';

const { values } = parseArgs({
  options: { events: { type: 'string' }, accounts: { type: 'string' }, 'emmett-seconds': { type: 'string' }, pg: { type: 'string' } },
});
const events = Number(values.events ?? 20_000);
const emmettBudgetSeconds = Number(values['emmett-seconds'] ?? 120);
/** Slices of Emmett's run whose rates are printed (each a tenth of the budget, or 10 s without one). */
const SLICES = 10;
const accounts = Number(values.accounts ?? 1000);
const baseUrl = values.pg ?? process.env.CHRONO_TEST_PG_URL ?? 'postgres://chronoscope:chronoscope@127.0.0.1:55432/chronoscope';
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

type BankEvent =
  | { type: 'AccountOpened'; data: { accountId: string; currency: string } }
  | { type: 'MoneyDeposited'; data: { amountCents: number } }
  | { type: 'MoneyWithdrawn'; data: { amountCents: number } };

/** A Pongo document (an open record, as Pongo requires). */
interface Balance {
  balanceCents: number;
  currency: string;
  [field: string]: unknown;
}

/** Emmett's evolve of a balance document. */
function evolveBalance(document: Balance | null, event: ReadEvent<BankEvent>): Balance | null {
  if (event.type === 'AccountOpened') return { currency: event.data.currency, balanceCents: 0 };
  if (!document) return null;
  const delta = event.type === 'MoneyDeposited' ? event.data.amountCents : -event.data.amountCents;
  return { ...document, balanceCents: document.balanceCents + delta };
}

/** The same balances as a Chronoscope user definition (runs in the definitions sandbox). */
const DEFINITION = String.raw`
definition = {
  name: 'balances',
  handles: { types: ['AccountOpened', 'MoneyDeposited', 'MoneyWithdrawn'] },
  key: (event) => event.streamId,
  apply(row, event) {
    if (event.type === 'AccountOpened') return { account_id: event.streamId, currency: event.data.currency, balance_cents: 0 };
    if (!row) return undefined;
    const delta = event.type === 'MoneyDeposited' ? event.data.amountCents : -event.data.amountCents;
    return { account_id: row.account_id, currency: row.currency, balance_cents: row.balance_cents + delta };
  },
};`;

const name = `bench_emmett_${randomBytes(3).toString('hex')}`;
const admin = new pg.Client({ connectionString: baseUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(baseUrl);
url.pathname = `/${name}`;
const connectionString = url.toString();
// Chronoscope's own pool, as the app opens it (its parsers are private: dumbo's global ones do not apply).
const pool = new pg.Pool({ connectionString, max: 4, types: CHRONOSCOPE_PG_TYPES });
pool.on('error', () => undefined);
const eventStore = getPostgreSQLEventStore(connectionString);
try {
  // The store, written with Emmett's own appendToStream: one append per account with its whole history.
  const perAccount = Math.max(2, Math.round(events / accounts));
  let written = 0;
  const t0 = performance.now();
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let a = 0; a < accounts; a++) {
    const accountId = randomUUID();
    const history: BankEvent[] = [{ type: 'AccountOpened', data: { accountId, currency: 'EUR' } }];
    for (let i = 1; i < perAccount; i++) {
      const amountCents = 100 + Math.floor(random() * 10_000);
      history.push(random() < 0.7 ? { type: 'MoneyDeposited', data: { amountCents } } : { type: 'MoneyWithdrawn', data: { amountCents } });
    }
    await eventStore.appendToStream(`account-${accountId}`, history);
    written += history.length;
  }
  console.log(
    `Emmett store: ${fmt(written)} events in ${fmt(accounts)} streams written with appendToStream in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  // 1. Emmett: rebuildPostgreSQLProjections with a Pongo single-stream projection.
  // Emmett's evolve runs once per event it projects: the count is its progress, sampled per slice.
  let projected = 0;
  const counted = pongoSingleStreamProjection<Balance, BankEvent, PostgresReadEventMetadata, BankEvent>({
    collectionName: 'balances',
    canHandle: ['AccountOpened', 'MoneyDeposited', 'MoneyWithdrawn'],
    evolve: (document: Balance | null, event: ReadEvent<BankEvent>): Balance | null => {
      projected += 1;
      return evolveBalance(document, event);
    },
  });
  const t1 = performance.now();
  const consumer = rebuildPostgreSQLProjections<BankEvent>({ connectionString, projections: [counted] });
  const sliceMs = emmettBudgetSeconds > 0 ? (emmettBudgetSeconds * 1000) / SLICES : 10_000;
  const slices: { at: number; projected: number }[] = [{ at: t1, projected: 0 }];
  const sampler = setInterval(() => slices.push({ at: performance.now(), projected }), sliceMs);
  let stoppedByBudget = false;
  const budget =
    emmettBudgetSeconds > 0
      ? setTimeout(() => {
          stoppedByBudget = true;
          void consumer.stop();
        }, emmettBudgetSeconds * 1000)
      : undefined;
  await consumer.start();
  clearTimeout(budget);
  clearInterval(sampler);
  const emmettSeconds = (performance.now() - t1) / 1000;
  slices.push({ at: performance.now(), projected });
  await consumer.close();
  const emmettRate = projected / emmettSeconds;
  const rates = slices.slice(1).map((s, i) => (s.projected - slices[i]!.projected) / ((s.at - slices[i]!.at) / 1000));
  console.log(
    stoppedByBudget
      ? `Emmett rebuildPostgreSQLProjections (Pongo single-stream projection): stopped at its ${emmettBudgetSeconds} s budget after the first ${fmt(projected)} of ${fmt(written)} events: ${fmt(emmettRate)} events/s, measured over those ${fmt(projected)} events only`
      : `Emmett rebuildPostgreSQLProjections (Pongo single-stream projection): ${fmt(projected)} events in ${emmettSeconds.toFixed(1)} s = ${fmt(emmettRate)} events/s`,
  );
  console.log(`  Emmett's rate per ${(sliceMs / 1000).toFixed(0)} s slice (events/s): ${rates.map(fmt).join(', ')}`);
  if (rates.length >= 4) {
    const quarter = Math.max(1, Math.floor(rates.length / 4));
    const head = rates.slice(0, quarter).reduce((a, b) => a + b, 0) / quarter;
    const tail = rates.slice(-quarter).reduce((a, b) => a + b, 0) / quarter;
    console.log(
      `  Emmett's rate ${tail < head * 0.9 ? 'fell' : tail > head * 1.1 ? 'rose' : 'held'} as it went: ${fmt(head)} events/s in its first slices, ${fmt(tail)} in its last`,
    );
  }

  // 2. Chronoscope: the same balances, a user definition in the sandbox, rebuilt into a shadow of a table.
  await pool.query('CREATE TABLE chronoscope_balances (account_id text PRIMARY KEY, currency varchar(3) NOT NULL, balance_cents bigint NOT NULL)');
  const store = await PostgresEventStore.open(pool, emmettPreset.mapping());
  const definition = await userReadModel('balances', DEFINITION);
  // Three rebuilds, each into a fresh shadow: the first pays the JIT's warm-up (Emmett's 30 s run pays
  // its own early on), the median is the figure.
  const runs: { seconds: number; shadow: string; timings: { readMs: number; foldMs: number; writeMs: number }; phases: string[] }[] = [];
  for (let run = 0; run < 3; run++) {
    const t2 = performance.now();
    let timings = { readMs: 0, foldMs: 0, writeMs: 0 };
    const phases: string[] = [];
    const record = await rebuildPostgres({
      pool,
      feed: store,
      id: `bench${run}`,
      model: 'chronoscope_balances',
      definition,
      onTimings: (t) => (timings = t),
      onProgress: (p) => phases.push(`${p.phase}@${Math.round(performance.now() - t2)}ms`),
    });
    runs.push({ seconds: (performance.now() - t2) / 1000, shadow: record.shadow, timings, phases });
  }
  const ms = (n: number) => `${Math.round(n)} ms`;
  const median = [...runs].sort((a, b) => a.seconds - b.seconds)[1]!;
  const { timings, phases } = median;
  const chronoSeconds = median.seconds;
  const chronoRate = written / chronoSeconds;
  const record = { shadow: median.shadow };
  console.log(
    `  split: reading ${ms(timings.readMs)} (overlapped), folding in the sandbox ${ms(timings.foldMs)}, shadow writes ${ms(timings.writeMs)}; phases ${phases.filter((p, i) => i === 0 || !p.startsWith('loading')).join(', ')}`,
  );
  console.log(
    `Chronoscope rebuild (user definition in the sandbox, shadow table, checkpoint per batch): ${fmt(written)} events in ${chronoSeconds.toFixed(2)} s = ${fmt(chronoRate)} events/s (median of 3 runs: ${runs.map((r) => `${r.seconds.toFixed(2)} s`).join(', ')})`,
  );

  // Same balances on both sides, when Emmett finished; else its rate is the figure compared.
  if (stoppedByBudget) {
    console.log(`same balances: not compared (Emmett was stopped after ${fmt(projected)} of ${fmt(written)} events)`);
  } else {
    const emmett = await pool.query<{ n: string; total: string }>(`SELECT count(*) AS n, sum((data->>'balanceCents')::bigint) AS total FROM balances`);
    const ours = await pool.query<{ n: string; total: string }>(`SELECT count(*) AS n, sum(balance_cents) AS total FROM ${record.shadow}`);
    const same = emmett.rows[0]!.n === ours.rows[0]!.n && emmett.rows[0]!.total === ours.rows[0]!.total;
    console.log(
      `same balances: ${same ? 'yes' : 'NO'} (Emmett ${emmett.rows[0]!.n} documents, total ${emmett.rows[0]!.total}; Chronoscope ${ours.rows[0]!.n} rows, total ${ours.rows[0]!.total})`,
    );
  }
  console.log(
    `ratio: Chronoscope ${fmt(chronoRate)} events/s over all ${fmt(written)} events vs Emmett ${fmt(emmettRate)} events/s${stoppedByBudget ? ` over its first ${fmt(projected)}` : ''}: ${(chronoRate / emmettRate).toFixed(0)}x (goal >= 100x)`,
  );
  await store.close();
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await eventStore.close();
  await pool.end();
  // Emmett's own pools may still hold idle connections the drop cuts: that is expected here.
  process.on('uncaughtException', (err: Error & { code?: string }) => {
    if (err.code !== '57P01') throw err;
  });
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
