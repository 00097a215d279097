import type pg from 'pg';
import { generateBatches } from '../generator/generate';
import { insertBatch } from '../generator/write-postgres';
import { EVENT_COLUMNS, rowToEvent, type EventRow } from '../postgres/rows';
import { ensureReferenceSchema } from '../postgres/schema';
import { accountsViewSpec } from '../projectors/accounts-view';
import { EVENTS_SOURCE, writePostgresCheckpoint } from '../projectors/checkpoints';
import { ordersViewSpec } from '../projectors/orders-view';
import { applyToPostgresView, type PostgresViewSpec } from '../projectors/postgres-view';
import { productsViewSpec } from '../projectors/products-view';
import type { VersionedRow } from '../projectors/view-reducer';

export const DEMO_MARKER = 'demo-workspace';

export interface DemoSeedProgress {
  phase: 'events' | 'read-models' | 'done';
  done: number;
  total: number;
}

export interface DemoSeedOptions {
  events?: number;
  seed?: number;
  onProgress?: (progress: DemoSeedProgress) => void;
}

export interface DemoSeedResult {
  seeded: boolean;
  /** Why nothing was done, when `seeded` is false. */
  reason?: 'already-seeded' | 'not-empty';
  events: number;
}

/** The demo's projectors: two at the head, one left far behind so the console has lag to show. */
const DEMO_PROJECTORS: { view: PostgresViewSpec<VersionedRow>; share: number }[] = [
  { view: productsViewSpec as unknown as PostgresViewSpec<VersionedRow>, share: 1 },
  { view: accountsViewSpec as unknown as PostgresViewSpec<VersionedRow>, share: 1 },
  { view: ordersViewSpec as unknown as PostgresViewSpec<VersionedRow>, share: 0.6 },
];

/**
 * Fills a workspace with the reference system's data: ~50k events of the four
 * domains in the classic `events` table, snapshots, customers with sealed
 * personal data and their keys, the read models, and their checkpoints
 * (healthy at the head, and `orders_view` lagging well behind).
 *
 * Idempotent: everything happens in one transaction that ends by recording a
 * marker in `reference_markers`; a second call finds the marker and does nothing,
 * and a crash halfway leaves nothing behind. A store that already holds events
 * of its own is left alone. Uses a single connection and plain INSERTs (no COPY),
 * so it works through PGlite's socket server.
 */
export async function seedDemoWorkspace(pool: pg.Pool, options: DemoSeedOptions = {}): Promise<DemoSeedResult> {
  const total = options.events ?? 50_000;
  const report = options.onProgress ?? (() => undefined);
  const client = await pool.connect();
  try {
    await ensureReferenceSchema(client);
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [DEMO_MARKER]);
    const marker = await client.query('SELECT 1 FROM reference_markers WHERE name = $1', [DEMO_MARKER]);
    if (marker.rowCount) {
      await client.query('ROLLBACK');
      return { seeded: false, reason: 'already-seeded', events: 0 };
    }
    const existing = await client.query('SELECT 1 FROM events LIMIT 1');
    if (existing.rowCount) {
      await client.query('ROLLBACK');
      return { seeded: false, reason: 'not-empty', events: 0 };
    }

    let written = 0;
    for (const batch of generateBatches({ events: total, seed: options.seed ?? 7, batchSize: 2_500, snapshotEvery: 100 })) {
      await insertBatch(client, batch);
      written += batch.events.length;
      report({ phase: 'events', done: written, total });
    }

    await buildReadModels(client, total, report);
    await client.query('INSERT INTO reference_markers (name, details) VALUES ($1, $2)', [
      DEMO_MARKER,
      JSON.stringify({ events: written, seed: options.seed ?? 7 }),
    ]);
    await client.query('COMMIT');
    report({ phase: 'done', done: written, total });
    return { seeded: true, events: written };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Reads the events once in position order and feeds each view up to its own stopping point. */
async function buildReadModels(client: pg.PoolClient, total: number, report: (p: DemoSeedProgress) => void): Promise<void> {
  const { rows: headRows } = await client.query<{ head: string | null }>('SELECT max(global_position)::text AS head FROM events');
  const head = BigInt(headRows[0]?.head ?? '0');
  const stops = DEMO_PROJECTORS.map((p) => (p.share >= 1 ? head : (head * BigInt(Math.round(p.share * 100))) / 100n));
  let after = 0n;
  let done = 0;
  for (;;) {
    const { rows } = await client.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE global_position > $1 ORDER BY global_position LIMIT 5000`, [
      after.toString(),
    ]);
    if (rows.length === 0) break;
    const events = rows.map(rowToEvent);
    for (const [i, projector] of DEMO_PROJECTORS.entries()) {
      const stop = stops[i]!;
      const upTo = events.filter((e) => BigInt(e.globalPosition) <= stop);
      if (upTo.length > 0) await applyToPostgresView(client, projector.view, upTo);
    }
    after = BigInt(rows[rows.length - 1]!.global_position);
    done += rows.length;
    report({ phase: 'read-models', done, total });
  }
  for (const [i, projector] of DEMO_PROJECTORS.entries()) {
    await writePostgresCheckpoint(client, projector.view.name, EVENTS_SOURCE, stops[i]!.toString());
  }
}
