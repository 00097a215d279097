/**
 * Swapping a rebuilt PostgreSQL model in, and back out. One transaction takes
 * the live table and the shadow exclusively (readers wait a moment, then read the
 * new table: never an empty or half-built one), folds the last events into the
 * shadow up to exactly the position of the projector that feeds the live model
 * (its checkpoint held by compare-and-set through the connection's CheckpointStore,
 * joined to the transaction, so it cannot move meanwhile), and renames:
 * live → `<name>__before_<stamp>`, shadow → live, indexes included. The old model
 * stays for roll back until it is dropped on an explicit request.
 */
import type pg from 'pg';
import { ChronoError } from '../../../src-shared/errors';
import type { CheckpointStore } from '../../stores/ports/checkpoint-store';
import { qualifiedName, quoteIdent } from '../../stores/postgres/mapping';
import { inTransaction } from '../../stores/postgres/transaction';
import { foldFeed, settledHead, type RebuildFeed } from './feed-fold';
import { readRebuild, stamp, updateRebuild, type RebuildRecord } from './postgres-target';
import { inTransactionSink, shadowShape, transactionalSink } from './rebuild-postgres';
import type { ReadModelDefinition } from './read-model';
import { holdProjectorPosition, projectorOf, readProjectorPosition, type ProjectorCheckpoint } from './projector-checkpoint';

type Queryable = Pick<pg.PoolClient, 'query'>;

export type { ProjectorCheckpoint } from './projector-checkpoint';

export interface SwapPlan {
  model: string;
  shadow: string;
  beforeTable: string;
  /** Position the swapped-in model is at: the projector's checkpoint, or the settled head without a projector. */
  position: string;
  /** Events the swap folds into the shadow before renaming. */
  catchUpFrom: string;
}

async function indexNames(db: Queryable, schema: string, table: string): Promise<{ name: string; primary: boolean }[]> {
  const { rows } = await db.query<{ name: string; primary: boolean }>(
    `SELECT ci.relname AS name, i.indisprimary AS primary FROM pg_index i
       JOIN pg_class ct ON ct.oid = i.indrelid JOIN pg_namespace n ON n.oid = ct.relnamespace
       JOIN pg_class ci ON ci.oid = i.indexrelid
      WHERE n.nspname = $1 AND ct.relname = $2 ORDER BY ci.relname`,
    [schema, table],
  );
  return rows;
}

/** The suffix a swap gives the outgoing model's indexes (the backup table's stamp, shortened). */
function swapSuffix(at: string): string {
  return `__b${at.slice(2)}`;
}

function withSuffix(name: string, suffix: string): string {
  return `${name.slice(0, 63 - suffix.length)}${suffix}`;
}

async function tableExists(db: Queryable, schema: string, table: string): Promise<boolean> {
  const { rows } = await db.query(`SELECT to_regclass($1) AS t`, [qualifiedName(schema, table)]);
  return rows[0]?.t !== null && rows[0]?.t !== undefined;
}

/**
 * Renames `from` to `to` and gives `to`'s indexes the names `names` maps them to.
 * Index names are schema-wide: the outgoing table's are renamed first.
 */
async function renameTable(db: Queryable, schema: string, from: string, to: string): Promise<void> {
  await db.query(`ALTER TABLE ${qualifiedName(schema, from)} RENAME TO ${quoteIdent(to)}`);
}

async function renameIndex(db: Queryable, schema: string, from: string, to: string): Promise<void> {
  if (from !== to) await db.query(`ALTER INDEX ${qualifiedName(schema, from)} RENAME TO ${quoteIdent(to)}`);
}

/** The rebuild, if it exists and is ready to swap. */
function swappable(record: RebuildRecord | null, id: string): RebuildRecord {
  if (!record) throw new ChronoError('not_found', `There is no rebuild ${id}.`);
  if (record.phase !== 'indexed') {
    throw new ChronoError(
      'conflict',
      record.phase === 'loading'
        ? 'The rebuild has not finished loading: resume it and swap once it is done.'
        : `The rebuild is ${record.phase.replace('_', ' ')}: there is nothing to swap.`,
    );
  }
  return record;
}

/** The swap's plan at `position`, refused when the projector is behind the shadow or the backup name is taken. */
async function checkedPlan(db: Queryable, record: RebuildRecord, position: string, at: string): Promise<SwapPlan> {
  if (BigInt(record.position) > BigInt(position)) {
    throw new ChronoError(
      'conflict',
      `The projector is at position ${position}, behind the rebuilt model (${record.position}): swap again once it has caught up.`,
    );
  }
  const beforeTable = `${record.model}__before_${at}`;
  if (await tableExists(db, record.schema, beforeTable)) throw new ChronoError('conflict', `${beforeTable} already exists: wait a second and swap again.`);
  return { model: record.model, shadow: record.shadow, beforeTable, position, catchUpFrom: record.position };
}

/** How dry runs read: one snapshot, and PostgreSQL refuses any write or strong lock in it. */
const READ_ONLY = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

/**
 * A dry run plans with plain reads in a read-only transaction: no table lock, no
 * row lock, nothing a read-only profile would refuse. Readers of the live model and
 * the projector never wait for it (the real swap's ACCESS EXCLUSIVE is for the renames).
 */
async function planSwap(options: SwapOptions): Promise<SwapPlan> {
  const now = options.now ?? (() => new Date());
  const head = options.projector ? undefined : await settledHead(options.feed);
  const record = swappable(await readRebuild(options.pool, options.id), options.id);
  const projector = options.projector ? await projectorOf(options, record.model) : undefined;
  // Read through the port before the read-only transaction: it takes no lock either.
  const position = projector ? await readProjectorPosition(projector.checkpoints, projector.key, record.model) : head!;
  return inTransaction(
    options.pool,
    async (client) => {
      const record = swappable(await readRebuild(client, options.id), options.id);
      return checkedPlan(client, record, position, stamp(now()));
    },
    READ_ONLY,
  );
}

export interface SwapOptions {
  pool: pg.Pool;
  feed: RebuildFeed;
  id: string;
  definition: ReadModelDefinition;
  projector?: ProjectorCheckpoint;
  /** The connection's checkpoints (any layout on this database), where `projector`'s is read and held. */
  checkpoints?: CheckpointStore;
  /** Plans and checks everything, changes nothing. */
  dryRun?: boolean;
  now?: () => Date;
  /** How long the swap waits for the locks before giving up (readers and the projector wait meanwhile). */
  lockTimeoutMs?: number;
}

type ProjectorHold = NonNullable<Awaited<ReturnType<typeof projectorOf>>>;

/** Attempts that fold the missing events outside the swap's transaction before one folds them inside it. */
const FOLD_OUTSIDE_ATTEMPTS = 5;

/**
 * The events between the shadow and the projector are folded before the swap's
 * transaction where possible: the transaction then holds the tables for the renames
 * only, and PGlite (one transaction at a time across its connections) is never asked
 * to read through another connection while it is open. Only a projector that keeps
 * moving past several attempts gets its last events folded inside the transaction.
 */
export async function swapPostgres(options: SwapOptions): Promise<SwapPlan> {
  if (options.dryRun) return planSwap(options);
  const projector = await projectorOf(options, swappable(await readRebuild(options.pool, options.id), options.id).model);
  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptSwap(options, projector, attempt >= FOLD_OUTSIDE_ATTEMPTS);
    if ('plan' in outcome) return outcome.plan;
    const record = (await readRebuild(options.pool, options.id))!;
    const folder = await options.definition.open();
    try {
      await foldFeed({
        feed: options.feed,
        handles: options.definition.handles,
        folder,
        sink: transactionalSink(options.pool, record, await shadowShape(options.pool, record)),
        after: record.position,
        horizon: outcome.behindBy,
        eventsBefore: record.events,
      });
    } finally {
      await folder.close();
    }
  }
}

async function attemptSwap(
  options: SwapOptions,
  projector: ProjectorHold | undefined,
  foldInside: boolean,
): Promise<{ plan: SwapPlan } | { behindBy: string }> {
  const { pool, id } = options;
  const now = options.now ?? (() => new Date());
  // Without a projector the model is swapped at the settled head, taken before the transaction:
  // the store's transaction watch would otherwise wait for this very transaction.
  const head = options.projector ? undefined : await settledHead(options.feed);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL lock_timeout = ${Math.max(100, Math.floor(options.lockTimeoutMs ?? 10_000))}`);
    const record = swappable(await readRebuild(client, id, true), id);
    const { schema, model, shadow } = record;
    // Tables first, then the checkpoint: the projector writes its views before its checkpoint, so this order cannot deadlock with it.
    await client.query(`LOCK TABLE ${qualifiedName(schema, model)}, ${qualifiedName(schema, shadow)} IN ACCESS EXCLUSIVE MODE`);
    // Held by compare-and-set in this transaction (a row lock, or the layout's own): committed or rolled back with the renames.
    const position = projector ? await holdProjectorPosition(projector.checkpoints.joining(client), projector.key, model) : head!;
    const at = stamp(now());
    const plan = await checkedPlan(client, record, position, at);
    const { beforeTable } = plan;
    if (!foldInside && record.position !== position) {
      await client.query('ROLLBACK');
      return { behindBy: position };
    }
    // The last events, up to exactly where the projector goes on from.
    const folder = await options.definition.open();
    try {
      await foldFeed({
        feed: options.feed,
        handles: options.definition.handles,
        folder,
        sink: inTransactionSink(client, record, await shadowShape(client, record)),
        after: record.position,
        horizon: position,
        eventsBefore: record.events,
      });
    } finally {
      await folder.close();
    }
    const liveIndexes = await indexNames(client, schema, model);
    const suffix = swapSuffix(at);
    for (const index of liveIndexes) await renameIndex(client, schema, index.name, withSuffix(index.name, suffix));
    const livePrimary = liveIndexes.find((i) => i.primary)?.name;
    for (const index of await indexNames(client, schema, shadow)) {
      const original = index.primary ? livePrimary : record.indexes.find((i) => i.shadowName === index.name)?.name;
      if (original) await renameIndex(client, schema, index.name, original);
    }
    await renameTable(client, schema, model, beforeTable);
    await renameTable(client, schema, shadow, model);
    await updateRebuild(client, id, { phase: 'swapped', beforeTable, position });
    await client.query('COMMIT');
    return { plan };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export interface RollbackPlan {
  model: string;
  restored: string;
  /** Where the rebuilt model is kept after the roll back. */
  rebuiltKeptAs: string;
}

/** A swapped rebuild whose old model still exists, and the roll back's plan; `lock` holds its row until the roll back commits. */
async function rollbackable(db: Queryable, id: string, now: () => Date, lock = false): Promise<{ record: RebuildRecord; plan: RollbackPlan }> {
  const record = await readRebuild(db, id, lock);
  if (!record) throw new ChronoError('not_found', `There is no rebuild ${id}.`);
  if (record.phase !== 'swapped' || !record.beforeTable)
    throw new ChronoError('conflict', `The rebuild is ${record.phase.replace('_', ' ')}: only a swapped rebuild can be rolled back.`);
  if (!(await tableExists(db, record.schema, record.beforeTable)))
    throw new ChronoError('not_found', `The old model ${record.beforeTable} was dropped: it cannot be restored.`);
  return { record, plan: { model: record.model, restored: record.beforeTable, rebuiltKeptAs: `${record.model}__after_${stamp(now())}` } };
}

/** Puts the old model back under its name; the rebuilt one is kept as `<name>__after_<stamp>`. */
export async function rollbackPostgres(pool: pg.Pool, id: string, options: { dryRun?: boolean; now?: () => Date } = {}): Promise<RollbackPlan> {
  const now = options.now ?? (() => new Date());
  // The dry run reads the same facts without locking the rebuild's row, in a transaction that cannot write.
  if (options.dryRun) return inTransaction(pool, async (client) => (await rollbackable(client, id, now)).plan, READ_ONLY);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { record, plan } = await rollbackable(client, id, now, true);
    const { schema, model } = record;
    const beforeTable = plan.restored;
    const after = plan.rebuiltKeptAs;
    await client.query(`LOCK TABLE ${qualifiedName(schema, model)}, ${qualifiedName(schema, beforeTable)} IN ACCESS EXCLUSIVE MODE`);
    // The swap renamed each old index <name> to <name><swap suffix>: the rebuilt model holds the names now.
    const current = await indexNames(client, schema, model);
    const old = await indexNames(client, schema, beforeTable);
    const swapped = swapSuffix(beforeTable.slice(-15));
    const suffix = `__a${stamp(now()).slice(2)}`;
    for (const index of current) await renameIndex(client, schema, index.name, withSuffix(index.name, suffix));
    for (const index of current) {
      const kept = index.primary ? old.find((o) => o.primary) : old.find((o) => o.name === withSuffix(index.name, swapped));
      if (kept) await renameIndex(client, schema, kept.name, index.name);
    }
    await renameTable(client, schema, model, after);
    await renameTable(client, schema, beforeTable, model);
    // The rebuilt rows now live in `after`: recorded as the rebuild's shadow, so the catalog lists the table and it can be dropped.
    await updateRebuild(client, id, { phase: 'rolled_back', shadow: after });
    await client.query('COMMIT');
    return plan;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Drops the old model kept by a swap (the caller has the confirmation and writes the audit). */
export async function dropBeforeTable(pool: pg.Pool, id: string): Promise<string> {
  const record = await readRebuild(pool, id);
  if (!record?.beforeTable) throw new ChronoError('not_found', `Rebuild ${id} kept no old model.`);
  if (record.phase !== 'swapped')
    throw new ChronoError('conflict', 'Only the old model of a swapped rebuild can be dropped (after a roll back it is the live model again).');
  await pool.query(`DROP TABLE IF EXISTS ${qualifiedName(record.schema, record.beforeTable)}`);
  await updateRebuild(pool, id, { beforeTable: '' });
  return record.beforeTable;
}

/** Drops a shadow that was not swapped in (a failed or unwanted rebuild). */
export async function discardShadow(pool: pg.Pool, id: string): Promise<void> {
  const record = await readRebuild(pool, id);
  if (!record) throw new ChronoError('not_found', `There is no rebuild ${id}.`);
  if (record.phase === 'swapped' || record.phase === 'rolled_back')
    throw new ChronoError('conflict', 'The shadow of this rebuild is the live model (or was): nothing to discard.');
  await pool.query(`DROP TABLE IF EXISTS ${qualifiedName(record.schema, record.shadow)}`);
  await updateRebuild(pool, id, { phase: 'discarded' });
}
