import type pg from 'pg';
import { inTransaction } from '../../stores/postgres/transaction';
import { rowToEvent, EVENT_COLUMNS, type EventRow } from '../postgres/rows';
import { sleep } from '../postgres/outbox-relay';
import { EVENTS_SOURCE, readPostgresCheckpoint, writePostgresCheckpoint } from './checkpoints';
import { applyToPostgresView, type PostgresViewSpec } from './postgres-view';

export interface DirectProjectorOptions {
  /** Checkpoint name in projection_checkpoints. */
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  views: PostgresViewSpec<any>[];
  batchSize?: number;
  /** How long a gap must be seen before its horizon is taken (covers the instant between nextval() and the writer's xid). */
  gapSettleMs?: number;
  /** Last resort: a gap older than this is skipped even if old transactions are still open (a stuck session). */
  gapTimeoutMs?: number;
  /** Stop after this position, or after the one a function gives before each step (the demo uses it to leave a projector behind). */
  stopAt?: bigint | (() => Promise<bigint>);
  idleDelayMs?: number;
  onGapSkipped?: (from: bigint, to: bigint, reason: 'settled' | 'timeout') => void;
  now?: () => number;
}

interface Gap {
  firstSeen: number;
  /** pg_snapshot_xmax taken once the gap settled: every writer that could still fill it has an xid below it. */
  horizon?: bigint;
}

export interface DirectStepResult {
  applied: number;
  position: bigint;
  /** True when the step stopped at a gap that may still be filled. */
  waitingOnGap: boolean;
}

/**
 * A projector for stores without Kafka: reads `events` by global_position.
 *
 * Sequences are not transactional, so positions have holes (rolled-back inserts)
 * and commit out of order (a lower position can appear after a higher one). A
 * reader that jumps to max(seen) can skip an event for good. This one advances only
 * through contiguous positions, and stops at the first hole until the hole is known
 * to be permanent: once settled, the hole's horizon is the snapshot's xmax; when
 * the oldest running transaction (snapshot xmin) has passed that horizon, every
 * transaction that might have held the position has ended, and since the row is still
 * not visible it was rolled back. No timing guess is needed except the short settle
 * delay; `gapTimeoutMs` is a last resort against a session left open for minutes.
 */
export class DirectProjector {
  private readonly gaps = new Map<bigint, Gap>();
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly now: () => number;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: DirectProjectorOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async position(): Promise<bigint> {
    return BigInt((await readPostgresCheckpoint(this.pool, this.options.name, EVENTS_SOURCE)) ?? '0');
  }

  async runOnce(): Promise<DirectStepResult> {
    // Asked before the transaction opens: PGlite's socket server runs one transaction at a time.
    const stopAt = typeof this.options.stopAt === 'function' ? await this.options.stopAt() : this.options.stopAt;
    // One snapshot for both the rows and the xmin/xmax we reason with.
    return inTransaction(
      this.pool,
      async (client) => {
        const start = BigInt((await readPostgresCheckpoint(client, this.options.name, EVENTS_SOURCE)) ?? '0');
        const snap = await client.query<{ xmin: string; xmax: string }>(
          'SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin, pg_snapshot_xmax(pg_current_snapshot())::text AS xmax',
        );
        const xmin = BigInt(snap.rows[0]!.xmin);
        const xmax = BigInt(snap.rows[0]!.xmax);
        const limit = this.options.batchSize ?? 1000;
        const { rows } = await client.query<EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM events WHERE global_position > $1 ${stopAt !== undefined ? 'AND global_position <= $3' : ''} ORDER BY global_position LIMIT $2`,
          stopAt !== undefined ? [start.toString(), limit, stopAt.toString()] : [start.toString(), limit],
        );

        let position = start;
        let waitingOnGap = false;
        const accepted: EventRow[] = [];
        for (const row of rows) {
          const p = BigInt(row.global_position);
          if (p > position + 1n) {
            if (!this.gapIsPermanent(position + 1n, p - 1n, xmin, xmax)) {
              waitingOnGap = true;
              break;
            }
          }
          accepted.push(row);
          position = p;
        }
        for (const key of this.gaps.keys()) if (key <= position) this.gaps.delete(key);

        if (accepted.length > 0) {
          const events = accepted.map(rowToEvent);
          for (const view of this.options.views) await applyToPostgresView(client, view, events);
          await writePostgresCheckpoint(client, this.options.name, EVENTS_SOURCE, position.toString());
        }
        return { applied: accepted.length, position, waitingOnGap };
      },
      'BEGIN ISOLATION LEVEL REPEATABLE READ',
    );
  }

  /** Runs until the head is reached (no more rows and no gap to wait for). For seeding and tests. */
  async catchUp(): Promise<bigint> {
    for (;;) {
      const step = await this.runOnce();
      if (step.applied === 0 && !step.waitingOnGap) return step.position;
      if (step.applied === 0) await sleep(this.options.idleDelayMs ?? 20);
    }
  }

  start(onError?: (err: unknown) => void): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          const step = await this.runOnce();
          if (step.applied === 0) await sleep(this.options.idleDelayMs ?? 50);
        } catch (err) {
          onError?.(err);
          await sleep(500);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private gapIsPermanent(from: bigint, to: bigint, xmin: bigint, xmax: bigint): boolean {
    const now = this.now();
    let gap = this.gaps.get(from);
    if (!gap) {
      gap = { firstSeen: now };
      this.gaps.set(from, gap);
    }
    if (gap.horizon === undefined && now - gap.firstSeen >= (this.options.gapSettleMs ?? 100)) gap.horizon = xmax;
    if (gap.horizon !== undefined && xmin >= gap.horizon) {
      this.options.onGapSkipped?.(from, to, 'settled');
      return true;
    }
    if (now - gap.firstSeen >= (this.options.gapTimeoutMs ?? 60_000)) {
      this.options.onGapSkipped?.(from, to, 'timeout');
      return true;
    }
    return false;
  }
}
