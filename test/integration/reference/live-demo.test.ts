import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveDemo, LAGGING_PROJECTOR } from '../../../src-main/reference/demo/live-demo';
import { seedDemoWorkspace } from '../../../src-main/reference/demo/seed-demo';
import { LocalWorkspace } from '../../../src-main/engine/local-workspace/local-workspace';
import { pollUntil } from '../../support/waiting';

// The demo runs where users meet it: the Local workspace (PGlite behind pglite-socket).
let workspace: LocalWorkspace;
let pool: pg.Pool;
let demo: LiveDemo | undefined;
const LAG_MS = 4_000;

const scalar = async (sql: string, params: unknown[] = []) => (await pool.query(sql, params)).rows[0] as Record<string, string | null>;

beforeAll(async () => {
  workspace = new LocalWorkspace(await mkdtemp(join(tmpdir(), 'chrono-live-demo-')), async (endpoint, _report, options) => {
    const seedPool = new pg.Pool({ ...endpoint, max: 1 });
    await seedDemoWorkspace(seedPool, { events: 6_000 });
    await seedPool.end();
    pool = new pg.Pool({ ...endpoint, max: 4 });
    demo = new LiveDemo(pool, { commandsPerSecond: 25, lagBehindMs: LAG_MS, paused: options.paused });
    await demo.start();
    return { status: () => demo!.status(), setPaused: (paused) => void demo!.setPaused(paused), stop: () => demo!.stop() };
  });
  await workspace.start();
}, 120_000);

afterAll(async () => {
  await workspace?.stop();
  await pool?.end();
});

describe('the live demo workspace', () => {
  it('writes new events dated now, keeps one projector lagging and leaves one snapshot stale, within a minute', async () => {
    const started = new Date();
    const fresh = await pollUntil('20 new events', async () => {
      const row = await scalar('SELECT count(*)::int AS n FROM events WHERE "timestamp" >= $1', [started]);
      return Number(row.n) >= 20 ? Number(row.n) : undefined;
    });
    expect(fresh).toBeGreaterThanOrEqual(20);
    expect(demo!.status().lastError).toBeUndefined();

    // The healthy projectors follow the head; the lagging one holds back about LAG_MS of events.
    await pollUntil('accounts_view at the head', async () => {
      const row = await scalar(
        `SELECT (SELECT position FROM projection_checkpoints WHERE projection_name = 'accounts_view')::text AS at,
                (SELECT max(global_position) FROM events WHERE "timestamp" < now() - interval '1 second')::text AS settled`,
      );
      return BigInt(row.at ?? '0') >= BigInt(row.settled ?? '0') ? true : undefined;
    });
    const lag = await pollUntil('orders_view caught up to its lag', async () => {
      const row = await scalar(
        `SELECT (SELECT position FROM projection_checkpoints WHERE projection_name = $1)::text AS at, (SELECT max(global_position) FROM events)::text AS head,
                (SELECT max(global_position) FROM events WHERE "timestamp" < now() - make_interval(secs => $2))::text AS horizon`,
        [LAGGING_PROJECTOR, LAG_MS / 1000 + 2],
      );
      const at = BigInt(row.at ?? '0');
      // Past the seeded backlog (within the last few seconds of events) yet still behind the head.
      return at >= BigInt(row.horizon ?? '0') && at < BigInt(row.head ?? '0') ? BigInt(row.head!) - at : undefined;
    });
    expect(lag).toBeGreaterThan(0n);

    const stale = demo!.status().staleSnapshotStream;
    expect(stale).toBeTruthy();
    const snapshot = await scalar(
      `SELECT s.state->>'balanceCents' AS snapshot, e.event_data->>'balanceCents' AS replayed
         FROM snapshots s JOIN events e ON e.aggregate_id = s.aggregate_id AND e.event_version = s.version
        WHERE s.aggregate_id = $1 ORDER BY s.version DESC LIMIT 1`,
      [stale],
    );
    expect(Number(snapshot.snapshot) - Number(snapshot.replayed)).toBe(1000);
    // The stale stream gets no traffic, so its wrong snapshot stays the latest.
    expect((await scalar('SELECT count(*)::int AS n FROM events WHERE aggregate_id = $1 AND "timestamp" >= $2', [stale, started])).n).toBe(0);
  }, 90_000);

  it('stops writing while paused and resumes, remembered by the workspace', async () => {
    await workspace.setActivityPaused(true);
    expect(workspace.activity?.status().paused).toBe(true);
    const settle = await scalar('SELECT count(*)::int AS n FROM events');
    // A command in flight may still land: wait until the count is steady, then watch it stay so.
    let before = Number(settle.n);
    await pollUntil('the writer to stop', async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const now = Number((await scalar('SELECT count(*)::int AS n FROM events')).n);
      const steady = now === before;
      before = now;
      return steady ? true : undefined;
    });
    // Nothing may be written now, so there is no condition to await: watch the count stay put a while.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(Number((await scalar('SELECT count(*)::int AS n FROM events')).n)).toBe(before);

    await workspace.setActivityPaused(false);
    await pollUntil('writing again', async () => (Number((await scalar('SELECT count(*)::int AS n FROM events')).n) > before ? true : undefined));
  }, 60_000);
});
