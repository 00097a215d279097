import type pg from 'pg';
import { CommandHandler } from '../commands/handlers';
import { ConcurrencyConflictError, DomainRuleViolation, InvalidCommandError } from '../errors';
import type { AggregateType } from '../events';
import { newId } from '../ids';
import { ReferencePostgresStore } from '../postgres/event-store';
import { sleep } from '../postgres/outbox-relay';
import { accountsViewSpec } from '../projectors/accounts-view';
import { DirectProjector } from '../projectors/direct-projector';
import { ordersViewSpec } from '../projectors/orders-view';
import { productsViewSpec } from '../projectors/products-view';

/**
 * Keeps the demo workspace moving: the reference system's command side writes a
 * few events per second dated now, and its store-side projectors follow them, so
 * the live tail, charts, checkpoints, lag and snapshot screens have something true
 * to show. On purpose, `orders_view` stays `lagBehindMs` behind the head and one
 * account's latest snapshot disagrees with its events (taken by a "buggy old build").
 */
export interface LiveDemoOptions {
  /** Commands per second (each writes one or two events). */
  commandsPerSecond?: number;
  /** How far `orders_view` trails the head, in event time. */
  lagBehindMs?: number;
  paused?: boolean;
  log?: (message: string) => void;
  random?: () => number;
}

export interface LiveDemoStatus {
  paused: boolean;
  commands: number;
  events: number;
  rejected: number;
  lastError?: string;
  /** The account whose latest snapshot was left wrong on purpose. */
  staleSnapshotStream?: string;
  /** Rows of a read model left wrong on purpose (an edited, a deleted and an orphan row), for the drift check to find. */
  driftedRows?: { model: string; keys: string[] };
  lagBehindMs: number;
}

/** The projector kept behind, and why; the Overview and the docs name it. */
export const LAGGING_PROJECTOR = 'orders_view';
const STALE_SNAPSHOT_MARKER = 'demo-stale-snapshot';
const DRIFTED_ROWS_MARKER = 'demo-drifted-rows';
/** The read model whose rows the demo corrupts; its streams are left out of the traffic so the damage stays as made. */
export const DRIFTED_MODEL = 'accounts_view';
/** The orphan row's key: an account no stream of the store has. */
const ORPHAN_ACCOUNT = 'acct-orphan-demo';
const CURRENCIES = ['EUR', 'USD', 'GBP'];

interface Known {
  accounts: string[];
  products: { id: string; priceCents: number }[];
  customers: string[];
  /** Orders the demo placed, with the next step of their life. */
  orders: Map<string, number>;
}

const ORDER_STEPS = [
  { type: 'UpdateOrderStatus', status: 'confirmed' },
  { type: 'UpdateOrderStatus', status: 'packed' },
  { type: 'ShipOrder', carrier: 'DHL' },
  { type: 'DeliverOrder' },
] as const;

export class LiveDemo {
  private readonly commands: CommandHandler;
  private readonly projectors: DirectProjector[];
  private readonly lagging: DirectProjector;
  private readonly random: () => number;
  private readonly log: (message: string) => void;
  private readonly intervalMs: number;
  private readonly lagBehindMs: number;
  private known: Known | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private state: LiveDemoStatus;

  constructor(
    private readonly pool: pg.Pool,
    options: LiveDemoOptions = {},
  ) {
    const store = new ReferencePostgresStore(pool);
    this.commands = new CommandHandler({ storeFor: () => store });
    this.random = options.random ?? Math.random;
    this.log = options.log ?? (() => undefined);
    this.intervalMs = 1000 / (options.commandsPerSecond ?? 2);
    this.lagBehindMs = options.lagBehindMs ?? 120_000;
    const onGapSkipped = () => undefined;
    this.projectors = [productsViewSpec, accountsViewSpec].map(
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      (view) => new DirectProjector(pool, { name: view.name, views: [view as any], batchSize: 500, idleDelayMs: 250, onGapSkipped }),
    );
    this.lagging = new DirectProjector(pool, {
      name: LAGGING_PROJECTOR,
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      views: [ordersViewSpec as any],
      batchSize: 500,
      idleDelayMs: 1000,
      stopAt: () => this.lagHorizon(),
    });
    this.state = { paused: options.paused ?? false, commands: 0, events: 0, rejected: 0, lagBehindMs: this.lagBehindMs };
  }

  status(): LiveDemoStatus {
    return { ...this.state };
  }

  /** Pausing stops the writer; projectors keep running so the lagging one still shows its steady lag. */
  setPaused(paused: boolean): LiveDemoStatus {
    this.state.paused = paused;
    this.wake?.();
    return this.status();
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.state.staleSnapshotStream = await this.leaveOneSnapshotStale().catch((err: unknown) => {
      this.log(`Live demo: no stale snapshot left (${(err as Error).message})`);
      return undefined;
    });
    this.state.driftedRows = await this.leaveSomeRowsDrifted().catch((err: unknown) => {
      this.log(`Live demo: no drifted rows left (${(err as Error).message})`);
      return undefined;
    });
    const onError = (err: unknown) => this.note(err);
    for (const projector of [...this.projectors, this.lagging]) projector.start(onError);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await Promise.all([...this.projectors, this.lagging].map((p) => p.stop()));
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.state.paused) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const started = Date.now();
      try {
        await this.step();
      } catch (err) {
        this.note(err);
        await sleep(1000);
      }
      await sleep(Math.max(0, this.intervalMs - (Date.now() - started)));
    }
  }

  /** One command, chosen like a small shop's traffic: mostly money movements, some stock and orders. */
  async step(): Promise<void> {
    const known = (this.known ??= await this.loadKnown());
    const roll = this.random();
    try {
      if (roll < 0.35 && known.accounts.length > 0) {
        const account = this.pick(known.accounts);
        const amountCents = 100 + Math.floor(this.random() * 20_000);
        await this.run1('Account', account, this.random() < 0.6 ? { type: 'DepositMoney', amountCents } : { type: 'WithdrawMoney', amountCents });
      } else if (roll < 0.5 && known.accounts.length > 1) {
        const from = this.pick(known.accounts);
        const to = this.pick(known.accounts.filter((id) => id !== from));
        const result = await this.commands.transfer(from, to, 100 + Math.floor(this.random() * 5_000));
        this.counted(result.sent.eventIds.length + result.received.eventIds.length);
      } else if (roll < 0.7 && known.products.length > 0) {
        const product = this.pick(known.products);
        if (this.random() < 0.7)
          await this.run1('Product', product.id, { type: 'AdjustStock', delta: Math.ceil(this.random() * 40) - 15, reason: 'demo traffic' });
        else {
          product.priceCents = Math.max(100, Math.round(product.priceCents * (0.9 + this.random() * 0.2)));
          await this.run1('Product', product.id, { type: 'ChangePrice', priceCents: product.priceCents });
        }
      } else if (roll < 0.85 && known.customers.length > 0 && known.products.length > 0) {
        const orderId = `order-${newId()}`;
        const product = this.pick(known.products);
        await this.run1('Order', orderId, {
          type: 'PlaceOrder',
          customerId: this.pick(known.customers),
          currency: 'EUR',
          lines: [{ productId: product.id, quantity: 1 + Math.floor(this.random() * 3), unitPriceCents: product.priceCents }],
        });
        known.orders.set(orderId, 0);
      } else if (known.orders.size > 0) {
        const [orderId, next] = [...known.orders.entries()][Math.floor(this.random() * known.orders.size)]!;
        const step = ORDER_STEPS[next]!;
        await this.run1('Order', orderId, step.type === 'ShipOrder' ? { ...step, trackingNumber: newId().slice(0, 12) } : step);
        if (next + 1 >= ORDER_STEPS.length) known.orders.delete(orderId);
        else known.orders.set(orderId, next + 1);
      } else {
        const accountId = `acct-${newId()}`;
        await this.run1('Account', accountId, {
          type: 'OpenAccount',
          ownerId: this.pick(known.customers.length ? known.customers : ['demo']),
          currency: this.pick(CURRENCIES),
        });
        known.accounts.push(accountId);
      }
      this.state.commands += 1;
    } catch (err) {
      // A refused command (insufficient funds, a closed account) or a lost race is ordinary traffic.
      if (err instanceof DomainRuleViolation || err instanceof InvalidCommandError || err instanceof ConcurrencyConflictError) this.state.rejected += 1;
      else throw err;
    }
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async run1(type: AggregateType, id: string, command: any): Promise<void> {
    const result = await this.commands.execute(type, id, command, { userId: 'live-demo', commandId: newId() });
    this.counted(result.eventIds.length);
  }

  private counted(events: number): void {
    this.state.events += events;
  }

  private note(err: unknown): void {
    this.state.lastError = (err as Error).message;
    this.log(`Live demo: ${this.state.lastError}`);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  /** The newest position older than the lag: `orders_view` projects up to it and no further. */
  private async lagHorizon(): Promise<bigint> {
    const { rows } = await this.pool.query<{ p: string | null }>(
      `SELECT max(global_position)::text AS p FROM events WHERE "timestamp" < now() - make_interval(secs => $1::float8)`,
      [this.lagBehindMs / 1000],
    );
    return BigInt(rows[0]?.p ?? '0');
  }

  /** Streams the traffic works on; the ones left wrong on purpose (stale snapshot, drifted rows) are left out so the damage stays as made. */
  private async loadKnown(): Promise<Known> {
    const ids = async (type: string) =>
      (await this.pool.query<{ id: string }>('SELECT DISTINCT aggregate_id AS id FROM events WHERE aggregate_type = $1 LIMIT 300', [type])).rows.map(
        (r) => r.id,
      );
    const untouched = new Set([this.state.staleSnapshotStream, ...(this.state.driftedRows?.keys ?? [])]);
    const accounts = (await ids('Account')).filter((id) => !untouched.has(id));
    const open = await this.pool.query<{ id: string }>(
      `SELECT aggregate_id AS id FROM events WHERE aggregate_type = 'Account' AND event_type = 'AccountClosed' AND aggregate_id = ANY($1)`,
      [accounts],
    );
    const closed = new Set(open.rows.map((r) => r.id));
    const products = await this.pool.query<{ id: string; price: string | null }>(
      `SELECT DISTINCT ON (aggregate_id) aggregate_id AS id, (event_data->>'priceCents') AS price FROM events
        WHERE aggregate_type = 'Product' AND event_type IN ('ProductCreated', 'PriceChanged') ORDER BY aggregate_id, event_version DESC LIMIT 100`,
    );
    const discontinued = new Set(
      (
        await this.pool.query<{ id: string }>(`SELECT aggregate_id AS id FROM events WHERE aggregate_type = 'Product' AND event_type = 'ProductDiscontinued'`)
      ).rows.map((r) => r.id),
    );
    return {
      accounts: accounts.filter((id) => !closed.has(id)),
      products: products.rows.filter((r) => !discontinued.has(r.id)).map((r) => ({ id: r.id, priceCents: Number(r.price ?? 1000) || 1000 })),
      customers: await ids('Customer'),
      orders: new Map(),
    };
  }

  /**
   * Once per workspace: the latest snapshot of one long account stream gets a balance
   * 1,000 cents off, as an old build with a fee bug would have written it. Verification
   * shows the difference; deleting or regenerating it is the operator's fix.
   */
  private async leaveOneSnapshotStale(): Promise<string | undefined> {
    const done = await this.pool.query<{ details: { stream?: string } }>('SELECT details FROM reference_markers WHERE name = $1', [STALE_SNAPSHOT_MARKER]);
    if (done.rows[0]) return done.rows[0].details.stream;
    const { rows } = await this.pool.query<{ aggregate_id: string; version: number }>(
      `SELECT aggregate_id, version FROM snapshots WHERE aggregate_type = 'Account' ORDER BY version DESC, aggregate_id LIMIT 1`,
    );
    const target = rows[0];
    if (!target) return undefined;
    await this.pool.query(
      `UPDATE snapshots SET state = jsonb_set(state, '{balanceCents}', to_jsonb((state->>'balanceCents')::bigint + 1000)) WHERE aggregate_id = $1 AND version = $2`,
      [target.aggregate_id, target.version],
    );
    await this.pool.query('INSERT INTO reference_markers (name, details) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      STALE_SNAPSHOT_MARKER,
      JSON.stringify({ stream: target.aggregate_id, version: target.version }),
    ]);
    return target.aggregate_id;
  }

  /**
   * Once per workspace: three rows of accounts_view are left wrong, as a hand-run fix or a bad
   * migration would leave them: one balance edited, one row deleted, one row of an account no
   * stream has. A drift check finds them; a targeted repair rebuilds just those streams.
   */
  private async leaveSomeRowsDrifted(): Promise<{ model: string; keys: string[] } | undefined> {
    const done = await this.pool.query<{ details: { model: string; keys: string[] } }>('SELECT details FROM reference_markers WHERE name = $1', [
      DRIFTED_ROWS_MARKER,
    ]);
    if (done.rows[0]) return done.rows[0].details;
    const stale = this.state.staleSnapshotStream ?? '';
    const { rows } = await this.pool.query<{ account_id: string }>(
      `SELECT account_id FROM ${DRIFTED_MODEL} WHERE account_id <> $1 AND status = 'open' ORDER BY account_id LIMIT 2`,
      [stale],
    );
    if (rows.length < 2) return undefined;
    const [edited, deleted] = [rows[0]!.account_id, rows[1]!.account_id];
    const drifted = { model: DRIFTED_MODEL, keys: [edited, deleted, ORPHAN_ACCOUNT] };
    // One transaction with its marker: a crash halfway leaves nothing, never a second row edited on the next start.
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`UPDATE ${DRIFTED_MODEL} SET balance_cents = balance_cents + 4200 WHERE account_id = $1`, [edited]);
      await client.query(`DELETE FROM ${DRIFTED_MODEL} WHERE account_id = $1`, [deleted]);
      await client.query(
        `INSERT INTO ${DRIFTED_MODEL} (account_id, owner_id, currency, balance_cents, status, version, updated_at)
         SELECT $1, owner_id, currency, 12345, 'open', 1, now() FROM ${DRIFTED_MODEL} WHERE account_id = $2 ON CONFLICT DO NOTHING`,
        [ORPHAN_ACCOUNT, edited],
      );
      await client.query('INSERT INTO reference_markers (name, details) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
        DRIFTED_ROWS_MARKER,
        JSON.stringify(drifted),
      ]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    return drifted;
  }
}
