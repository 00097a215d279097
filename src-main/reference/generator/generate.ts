import { sealEventWithKey } from '../crypto/personal-data';
import type { SubjectKey } from '../../engine/personal-data/sealed-fields';
import type { AccountState } from '../domain/accounts';
import type { PostalAddress } from '../domain/customers';
import type { OrderLine, OrderState } from '../domain/orders';
import type { ProductState } from '../domain/products';
import { deciderFor, isSnapshottable } from '../domain/registry';
import { DomainRuleViolation } from '../errors';
import { type AggregateType, currentSchemaVersion, type DomainEvent } from '../events';
import type { Snapshot } from '../store';
import { CARRIERS, CITIES, CURRENCIES, FIRST_NAMES, LAST_NAMES, PRODUCT_ADJECTIVES, PRODUCT_WORDS, STREETS } from './names';
import { SeededRandom } from './random';

export interface GenerateOptions {
  /** Exact number of events to produce. */
  events: number;
  seed?: number;
  /** Events per yielded batch. */
  batchSize?: number;
  /** First timestamp (ISO); the data spans `spanDays` from there. */
  startTime?: string;
  spanDays?: number;
  /** Emit a snapshot each time a (snapshottable) aggregate reaches a multiple of this; 0 disables. */
  snapshotEvery?: number;
  /** A few very long streams (a merchant account, a best-selling product) take a quarter of the events. */
  longStreams?: number;
  maxLongStreamEvents?: number;
}

/** One batch: the events, the subject keys their personal data is sealed with, and snapshots due. */
export interface GeneratedBatch {
  events: DomainEvent[];
  subjectKeys: SubjectKey[];
  snapshots: Snapshot[];
}

interface Live<S = unknown> {
  id: string;
  type: AggregateType;
  state: S;
  version: number;
}

interface CustomerLive extends Live {
  account: Live<AccountState>;
  key: SubjectKey;
}

interface Chain {
  correlationId: string;
  causationId: string;
  userId: string;
}

/** Active aggregates kept per kind: older ones retire, so memory stays flat whatever the event count. */
const MAX_ACTIVE = 2_000;
const DAY_MS = 86_400_000;

/**
 * Simulates a shop and bank running for months and records what its aggregates
 * decide, through the real deciders (so every invariant holds in the data).
 * Shapes: a few very long streams, many short ones (orders, customers), bursts,
 * and causal chains across aggregates (order -> stock -> payment, transfer
 * debit -> credit). Streams events in batches; nothing accumulates in memory.
 */
class DatasetSimulator {
  private readonly rng: SeededRandom;
  private clock: number;
  private readonly endOfV1Era: number;
  private readonly meanStepMs: number;
  private burstLeft = 0;
  private readonly snapshotEvery: number;
  private readonly customers: CustomerLive[] = [];
  private readonly accounts: Live<AccountState>[] = [];
  private readonly products: Live<ProductState>[] = [];
  private readonly orders: (Live<OrderState> & { customer: CustomerLive })[] = [];
  private readonly longStreams: { live: Live; left: number }[] = [];
  private readonly users: string[];
  out: GeneratedBatch = { events: [], subjectKeys: [], snapshots: [] };

  constructor(private readonly options: Required<GenerateOptions>) {
    this.rng = new SeededRandom(options.seed);
    this.clock = Date.parse(options.startTime);
    const span = options.spanDays * DAY_MS;
    this.endOfV1Era = this.clock + span * 0.3;
    this.meanStepMs = span / Math.max(1, options.events);
    this.snapshotEvery = options.snapshotEvery;
    this.users = Array.from({ length: 40 }, (_, i) => `operator-${i + 1}`);
  }

  setUpLongStreams(): void {
    const count = Math.max(0, this.options.longStreams);
    const budget = Math.min(this.options.maxLongStreamEvents, Math.floor((this.options.events * 0.25) / Math.max(1, count)));
    for (let i = 0; i < count; i++) {
      const chain = this.newChain('system');
      if (i % 2 === 0) {
        const live = this.live<AccountState>('Account', `merchant-${this.rng.uuid()}`);
        this.emit(live, { type: 'OpenAccount', ownerId: `merchant-${i + 1}`, currency: 'EUR' }, chain);
        this.longStreams.push({ live, left: budget });
      } else {
        const live = this.live<ProductState>('Product', `bestseller-${this.rng.uuid()}`);
        this.emit(live, { type: 'CreateProduct', name: `Bestseller ${i + 1}`, sku: `BEST-${i + 1}`, priceCents: 1299, initialStock: 1_000 }, chain);
        this.longStreams.push({ live, left: budget });
      }
    }
  }

  step(): void {
    this.advanceClock();
    if (this.longStreams.length > 0 && this.rng.chance(0.25)) {
      const stream = this.rng.pick(this.longStreams);
      if (stream.left > 0) return this.longStreamEvent(stream);
    }
    if (this.customers.length < 5) return this.registerCustomer();
    if (this.products.length < 5) return this.createProduct();
    const r = this.rng.next() * 100;
    if (r < 5) return this.registerCustomer();
    if (r < 8) return this.createProduct();
    if (r < 31) return this.placeOrder(); // orders dominate a shop's traffic
    if (r < 56) return this.progressOrder();
    if (r < 68) return this.deposit();
    if (r < 73) return this.withdraw();
    if (r < 81) return this.transfer();
    if (r < 83) return this.changeEmail();
    if (r < 85) return this.changeAddress();
    if (r < 90) return this.changePrice();
    if (r < 91) return this.renameProduct();
    if (r < 99) return this.restock();
    if (r < 99.5) return this.discontinue();
    return this.closeAccount();
  }

  private steps = 0;
  private emitted = 0;

  private advanceClock(): void {
    this.steps++;
    if (this.burstLeft > 0) {
      this.burstLeft--;
      this.clock += this.rng.int(0, 3);
      return;
    }
    if (this.rng.chance(0.001)) this.burstLeft = this.rng.int(50, 500); // a flash sale, a batch import
    // A step records 0..n events; scale by the running events-per-step so the data spans about `spanDays`.
    const eventsPerStep = this.steps > 100 ? this.emitted / this.steps : 1.5;
    this.clock += Math.max(1, Math.round(this.rng.exponential(this.meanStepMs * eventsPerStep)));
  }

  private longStreamEvent(stream: { live: Live; left: number }): void {
    stream.left--;
    const chain = this.newChain(this.rng.pick(this.users));
    if (stream.live.type === 'Account') {
      const live = stream.live as Live<AccountState>;
      const amount = this.rng.int(100, 50_000);
      if (live.state.balanceCents > amount && this.rng.chance(0.3)) this.emit(live, { type: 'WithdrawMoney', amountCents: amount }, chain);
      else this.emit(live, { type: 'DepositMoney', amountCents: amount }, chain);
    } else {
      const live = stream.live as Live<ProductState>;
      const delta = live.state.stock > 10 && this.rng.chance(0.7) ? -this.rng.int(1, 5) : this.rng.int(20, 200);
      this.emit(live, { type: 'AdjustStock', delta, reason: delta < 0 ? 'sale' : 'restock' }, chain);
    }
  }

  private registerCustomer(): void {
    const first = this.rng.pick(FIRST_NAMES);
    const last = this.rng.pick(LAST_NAMES);
    const id = `cust-${this.rng.uuid()}`;
    const key: SubjectKey = { keyId: this.rng.uuid(), subjectId: id, key: this.rng.bytes(32) };
    this.out.subjectKeys.push(key);
    const customer = this.live('Customer', id) as CustomerLive;
    customer.key = key;
    const chain = this.newChain(id);
    const registered = this.emit(
      customer,
      {
        type: 'RegisterCustomer',
        firstName: first,
        lastName: last,
        email: `${first}.${last}.${this.rng.int(1, 9999)}@example.org`.toLowerCase(),
        address: this.address(),
      },
      chain,
    );
    const account = this.live<AccountState>('Account', `acct-${this.rng.uuid()}`);
    const opened = this.emit(
      account,
      { type: 'OpenAccount', ownerId: id, currency: this.rng.pick(CURRENCIES) },
      { ...chain, causationId: registered ?? chain.causationId },
    );
    this.emit(account, { type: 'DepositMoney', amountCents: this.rng.int(1_000, 200_000) }, { ...chain, causationId: opened ?? chain.causationId });
    customer.account = account;
    this.retain(this.customers, customer);
    this.retain(this.accounts, account);
  }

  private createProduct(): void {
    const product = this.live<ProductState>('Product', `prod-${this.rng.uuid()}`);
    const name = `${this.rng.pick(PRODUCT_ADJECTIVES)} ${this.rng.pick(PRODUCT_WORDS)}`;
    this.emit(
      product,
      { type: 'CreateProduct', name, sku: `SKU-${this.rng.int(10_000, 99_999)}`, priceCents: this.rng.int(199, 99_999), initialStock: this.rng.int(0, 500) },
      this.newChain(this.rng.pick(this.users)),
    );
    this.retain(this.products, product);
  }

  /** Order placed -> stock taken from each product -> payment from the customer's account: one correlation. */
  private placeOrder(): void {
    const customer = this.rng.pick(this.customers);
    if (customer.account.state.status !== 'open') return;
    const lines: OrderLine[] = [];
    const lineProducts: Live<ProductState>[] = [];
    for (let i = this.rng.int(1, 3); i > 0; i--) {
      const product = this.rng.pick(this.products);
      const quantity = this.rng.int(1, 3);
      if (product.state.status !== 'active' || product.state.stock < quantity || lineProducts.includes(product)) continue;
      lines.push({ productId: product.id, quantity, unitPriceCents: product.state.priceCents });
      lineProducts.push(product);
    }
    if (lines.length === 0) return;
    const order = this.live<OrderState>('Order', `order-${this.rng.uuid()}`);
    const chain = this.newChain(customer.id);
    const placed = this.emit(order, { type: 'PlaceOrder', customerId: customer.id, currency: customer.account.state.currency, lines }, chain);
    if (!placed) return;
    const caused = { ...chain, causationId: placed, userId: 'order-service' };
    lines.forEach((line, i) => this.emit(lineProducts[i]!, { type: 'AdjustStock', delta: -line.quantity, reason: `order ${order.id}` }, caused));
    if (customer.account.state.balanceCents >= order.state.totalCents) {
      this.emit(customer.account, { type: 'WithdrawMoney', amountCents: order.state.totalCents }, { ...caused, userId: 'payment-service' });
    }
    this.retain(this.orders, Object.assign(order, { customer }));
  }

  private progressOrder(): void {
    if (this.orders.length === 0) return this.placeOrder();
    const index = this.rng.int(0, this.orders.length - 1);
    const order = this.orders[index]!;
    const chain = this.newChain(this.rng.pick(this.users));
    switch (order.state.status) {
      case 'placed':
        if (this.rng.chance(0.1)) this.emit(order, { type: 'CancelOrder', reason: 'customer request' }, chain);
        else this.emit(order, { type: 'UpdateOrderStatus', status: 'confirmed' }, chain);
        break;
      case 'confirmed':
        this.emit(order, { type: 'UpdateOrderStatus', status: 'packed' }, chain);
        break;
      case 'packed':
        this.emit(order, { type: 'ShipOrder', carrier: this.rng.pick(CARRIERS), trackingNumber: `TRK${this.rng.int(100_000_000, 999_999_999)}` }, chain);
        break;
      case 'shipped':
        this.emit(order, { type: 'DeliverOrder' }, chain);
        break;
    }
    if (order.state.status === 'delivered' || order.state.status === 'cancelled') removeAt(this.orders, index);
  }

  private deposit(): void {
    const account = this.rng.pick(this.accounts);
    if (account.state.status !== 'open') return;
    this.emit(account, { type: 'DepositMoney', amountCents: this.rng.int(500, 100_000) }, this.newChain(account.state.ownerId));
  }

  private withdraw(): void {
    const account = this.rng.pick(this.accounts);
    if (account.state.status !== 'open' || account.state.balanceCents < 100) return;
    this.emit(account, { type: 'WithdrawMoney', amountCents: this.rng.int(100, account.state.balanceCents) }, this.newChain(account.state.ownerId));
  }

  /** Debit on one account causes the credit on the other. */
  private transfer(): void {
    const from = this.rng.pick(this.accounts);
    const to = this.rng.pick(this.accounts);
    if (from === to || from.state.status !== 'open' || from.state.balanceCents < 100 || to.state.status !== 'open') return;
    const transferId = this.rng.uuid();
    const amountCents = this.rng.int(100, Math.min(from.state.balanceCents, 250_000));
    const chain = { ...this.newChain(from.state.ownerId), correlationId: transferId };
    const sent = this.emit(from, { type: 'SendTransfer', transferId, toAccountId: to.id, amountCents }, chain);
    if (sent)
      this.emit(to, { type: 'ReceiveTransfer', transferId, fromAccountId: from.id, amountCents }, { ...chain, causationId: sent, userId: 'transfer-service' });
  }

  private changeEmail(): void {
    const c = this.rng.pick(this.customers);
    this.emit(
      c,
      { type: 'ChangeCustomerEmail', email: `${this.rng.pick(FIRST_NAMES)}.${this.rng.int(1, 99_999)}@example.net`.toLowerCase() },
      this.newChain(c.id),
    );
  }

  private changeAddress(): void {
    const c = this.rng.pick(this.customers);
    this.emit(c, { type: 'ChangeCustomerAddress', address: this.address() }, this.newChain(c.id));
  }

  private changePrice(): void {
    const p = this.rng.pick(this.products);
    const factor = 0.8 + this.rng.next() * 0.45;
    this.emit(p, { type: 'ChangePrice', priceCents: Math.max(99, Math.round(p.state.priceCents * factor)) }, this.newChain(this.rng.pick(this.users)));
  }

  private renameProduct(): void {
    const p = this.rng.pick(this.products);
    this.emit(
      p,
      { type: 'RenameProduct', name: `${this.rng.pick(PRODUCT_ADJECTIVES)} ${this.rng.pick(PRODUCT_WORDS)} ${this.rng.int(2, 9)}` },
      this.newChain(this.rng.pick(this.users)),
    );
  }

  private restock(): void {
    const p = this.rng.pick(this.products);
    this.emit(p, { type: 'AdjustStock', delta: this.rng.int(10, 300), reason: 'restock' }, this.newChain('warehouse'));
  }

  private discontinue(): void {
    if (this.products.length <= 5) return;
    const index = this.rng.int(0, this.products.length - 1);
    this.emit(this.products[index]!, { type: 'DiscontinueProduct', reason: 'end of line' }, this.newChain(this.rng.pick(this.users)));
    removeAt(this.products, index);
  }

  private closeAccount(): void {
    if (this.accounts.length <= 5) return;
    const index = this.rng.int(0, this.accounts.length - 1);
    const a = this.accounts[index]!;
    const chain = this.newChain(a.state.ownerId);
    if (a.state.balanceCents > 0) this.emit(a, { type: 'WithdrawMoney', amountCents: a.state.balanceCents }, chain);
    this.emit(a, { type: 'CloseAccount', reason: 'customer request' }, chain);
    removeAt(this.accounts, index);
  }

  private address(): PostalAddress {
    const place = this.rng.pick(CITIES);
    return {
      street: `${this.rng.int(1, 250)} ${this.rng.pick(STREETS)}`,
      city: place.city,
      postalCode: String(this.rng.int(10_000, 99_999)),
      country: place.country,
    };
  }

  private newChain(userId: string): Chain {
    const id = this.rng.uuid();
    return { correlationId: id, causationId: id, userId };
  }

  private live<S>(type: AggregateType, id: string): Live<S> {
    return { id, type, state: deciderFor(type).initialState() as S, version: 0 };
  }

  /** Keeps an aggregate active; past the cap, a random older one retires (receives no more events). */
  private retain<T>(pool: T[], item: T): void {
    if (pool.length < MAX_ACTIVE) {
      pool.push(item);
      return;
    }
    pool[this.rng.int(0, pool.length - 1)] = item;
  }

  /** Decides a command on a live aggregate and records its events; returns the first event id (for causation). */
  private emit(live: Live, command: { type: string } & Record<string, unknown>, chain: Chain): string | undefined {
    const decider = deciderFor(live.type);
    let drafts;
    try {
      drafts = decider.decide(command, live.state);
    } catch (err) {
      if (err instanceof DomainRuleViolation) return undefined;
      throw err;
    }
    let first: string | undefined;
    for (const draft of drafts) {
      live.state = decider.evolve(live.state, draft);
      live.version++;
      this.clock += this.rng.int(0, 20); // steps of a chain follow each other closely
      let event: DomainEvent = {
        eventId: this.rng.uuid(),
        type: draft.type,
        aggregateId: live.id,
        aggregateType: live.type,
        version: live.version,
        timestamp: new Date(this.clock).toISOString(),
        data: draft.data as Record<string, unknown>,
        metadata: { correlationId: chain.correlationId, causationId: chain.causationId, userId: chain.userId, schemaVersion: currentSchemaVersion(draft.type) },
      };
      if (event.type === 'CustomerRegistered' && this.clock < this.endOfV1Era) event = toSchemaV1(event);
      if (live.type === 'Customer') event = sealEventWithKey(event, (live as CustomerLive).key, () => this.rng.bytes(12));
      this.out.events.push(event);
      this.emitted++;
      first ??= event.eventId;
      if (this.snapshotEvery > 0 && isSnapshottable(live.type) && live.version % this.snapshotEvery === 0) {
        this.out.snapshots.push({ aggregateId: live.id, aggregateType: live.type, version: live.version, state: live.state, takenAt: event.timestamp });
      }
    }
    return first;
  }
}

/** Removes in O(1) by moving the last element into the hole (order does not matter in a pool). */
function removeAt<T>(pool: T[], index: number): void {
  pool[index] = pool[pool.length - 1]!;
  pool.pop();
}

/** Writes a registration the way the first release did: one `name` field (schema v1). */
function toSchemaV1(event: DomainEvent): DomainEvent {
  const { firstName, lastName, ...rest } = event.data as { firstName: string; lastName: string };
  return { ...event, data: { name: `${firstName} ${lastName}`.trim(), ...rest }, metadata: { ...event.metadata, schemaVersion: 1 } };
}

function withDefaults(options: GenerateOptions): Required<GenerateOptions> {
  if (!Number.isSafeInteger(options.events) || options.events < 0) throw new Error(`events must be a non-negative integer (got ${options.events})`);
  return {
    events: options.events,
    seed: options.seed ?? 1,
    batchSize: options.batchSize ?? 5_000,
    startTime: options.startTime ?? '2025-01-01T00:00:00.000Z',
    spanDays: options.spanDays ?? 180,
    snapshotEvery: options.snapshotEvery ?? 100,
    longStreams: options.longStreams ?? 3,
    maxLongStreamEvents: options.maxLongStreamEvents ?? 1_000_000,
  };
}

/**
 * Produces exactly `options.events` events in batches, deterministically from
 * the seed. A generator: the caller pulls the next batch only when it has written
 * the previous one, which is the back-pressure.
 */
export function* generateBatches(options: GenerateOptions): Generator<GeneratedBatch> {
  const settings = withDefaults(options);
  const sim = new DatasetSimulator(settings);
  let remaining = settings.events;
  sim.setUpLongStreams();
  while (remaining > 0) {
    while (sim.out.events.length < Math.min(settings.batchSize, remaining)) sim.step();
    const batch = sim.out;
    // A causal chain may overshoot the batch: carry the surplus into the next one.
    const take = Math.min(settings.batchSize, remaining);
    const carry = batch.events.splice(take);
    const lastVersionById = new Map(batch.events.map((e) => [e.aggregateId, e.version]));
    const snapshots = batch.snapshots.filter((s) => (lastVersionById.get(s.aggregateId) ?? -1) >= s.version);
    const carriedSnapshots = batch.snapshots.filter((s) => !snapshots.includes(s));
    sim.out = { events: carry, subjectKeys: [], snapshots: carriedSnapshots };
    remaining -= batch.events.length;
    yield { events: batch.events, subjectKeys: batch.subjectKeys, snapshots };
  }
}

/** The same batches as an async iterator, for writers that await between batches. */
export async function* generateEvents(options: GenerateOptions): AsyncGenerator<GeneratedBatch> {
  yield* generateBatches(options);
}
