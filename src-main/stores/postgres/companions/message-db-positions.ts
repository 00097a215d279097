import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { checkPosition } from '../../event-store';
import type { CheckpointKey, CheckpointStore, CheckpointTransaction, CheckpointView, SetPositionResult } from '../../ports/checkpoint-store';
import { CompanionLayoutError } from '../../ports/errors';
import type { PositionStreamCheckpointLayout } from '../../ports/layouts';
import { qualifiedName, quoteIdent } from '../mapping';
import { indexesCategoryOf } from '../postgres-position-ranges';
import { joinedSession, poolSession, sessionTransaction, type Queryable, type SqlSession } from './sql-session';
import { checkColumns, companionColumns } from './table-columns';

interface Row {
  stream_name: string;
  p: string | null;
  time: Date | null;
  version: string;
}

const DIGITS = /^\d{1,20}$/;
/** `<category>:position` or `<category>:position-<consumer>`: the category of such a stream ends in `:position`. */
const POSITION_STREAM = /^(.+):position(?:-(.+))?$/;

/**
 * Message DB consumers record their position as messages of type `Recorded`
 * (data `{position}`) in a stream `<category>:position[-<consumer>]`. A
 * checkpoint is the last such message; a reset writes a new one through the
 * store's own `write_message` with the stream version read as expected version,
 * so a consumer recording in between makes it fail (the compare-and-set).
 * Holding a position (next = expected, the rebuild swap) writes no message: it
 * takes the lock write_message itself takes (`acquire_lock`, the category's
 * advisory lock), so no consumer of that category records until the transaction ends.
 */
export class MessageDbPositions implements CheckpointStore {
  readonly atomic = true;
  private constructor(
    private readonly session: SqlSession,
    private readonly layout: PositionStreamCheckpointLayout,
    private readonly schema: string,
  ) {}

  static async open(pool: pg.Pool, layout: PositionStreamCheckpointLayout, schema: string): Promise<MessageDbPositions> {
    const columns = await companionColumns(pool, schema, layout.table, 'Message DB messages');
    checkColumns(qualifiedName(schema, layout.table), columns, {
      'stream name': { column: 'stream_name' },
      'stream position': { column: 'position' },
      type: { column: 'type' },
      data: { column: 'data', types: ['jsonb', 'json'], what: 'jsonb' },
      time: { column: 'time' },
    });
    return new MessageDbPositions(poolSession(pool), layout, schema);
  }

  private get table(): string {
    return qualifiedName(this.schema, this.layout.table);
  }

  sources(): string[] {
    return [`${this.table} (streams <category>:position-<consumer>)`];
  }

  stores(): string[] {
    return [this.layout.table];
  }

  transaction<T>(work: (store: CheckpointStore) => Promise<T>): Promise<T> {
    return sessionTransaction<CheckpointStore, T>(this.session, this, (client) => this.joining(client), work);
  }

  joining(client: CheckpointTransaction): CheckpointStore {
    return new MessageDbPositions(joinedSession(client), this.layout, this.schema);
  }

  async list(): Promise<CheckpointView[]> {
    const fn = `${quoteIdent(this.schema)}.category`;
    // With Message DB's own category() and its index, walk the distinct categories (a skip scan,
    // one index probe each) instead of reading every message; without them, scan.
    const positionStreams = (await this.hasCategoryIndex())
      ? `WITH RECURSIVE cats(c) AS (
           SELECT min(${fn}(stream_name)) FROM ${this.table}
           UNION ALL
           SELECT (SELECT min(${fn}(stream_name)) FROM ${this.table} WHERE ${fn}(stream_name) > cats.c) FROM cats WHERE cats.c IS NOT NULL)
         SELECT m.stream_name, m.data->>'position' AS p, m.time, m.position::text AS version
           FROM cats CROSS JOIN LATERAL (
             SELECT DISTINCT ON (stream_name) stream_name, data, time, position FROM ${this.table}
              WHERE ${fn}(stream_name) = cats.c AND type = 'Recorded' ORDER BY stream_name, position DESC) m
          WHERE cats.c LIKE '%:position'`
      : `SELECT DISTINCT ON (stream_name) stream_name, data->>'position' AS p, time, position::text AS version
           FROM ${this.table}
          WHERE split_part(stream_name, '-', 1) LIKE '%:position' AND type = 'Recorded'
          ORDER BY stream_name, position DESC`;
    // The category of a position stream ends in ':position' (the text before the first '-').
    const { rows } = await this.session.db.query<Row>(`SELECT * FROM (${positionStreams}) AS positions ORDER BY stream_name`);
    return rows.map((r) => this.view(r));
  }

  /** Message DB's install: category() in the store's schema and the messages_category index over it. */
  private async hasCategoryIndex(): Promise<boolean> {
    const { rows } = await this.session.db.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2`, [
      this.schema,
      this.layout.table,
    ]);
    return rows.some((r) => indexesCategoryOf(r.indexdef, this.schema, 'stream_name'));
  }

  async read(key: CheckpointKey): Promise<CheckpointView | null> {
    if (key.store !== this.layout.table || !POSITION_STREAM.test(key.projector)) return null;
    const { rows } = await this.session.db.query<Row>(
      `SELECT stream_name, data->>'position' AS p, time, position::text AS version FROM ${this.table}
        WHERE stream_name = $1 AND type = 'Recorded' ORDER BY position DESC LIMIT 1`,
      [key.projector],
    );
    const view = rows[0] ? this.view(rows[0]) : null;
    return view && view.source === key.source ? view : null;
  }

  async setPosition(key: CheckpointKey, expected: string | null, next: string): Promise<SetPositionResult> {
    checkPosition(next, 'the new position');
    if (expected !== null) checkPosition(expected, 'the expected position');
    const match = POSITION_STREAM.exec(key.projector);
    if (key.store !== this.layout.table || !match || match[1] !== key.source) {
      throw new CompanionLayoutError(
        `${JSON.stringify(key.projector)} is not a Message DB position stream of category ${JSON.stringify(key.source)} (<category>:position-<consumer>).`,
      );
    }
    let written: boolean;
    try {
      written = await this.session.atomically((client) => this.record(client, key, expected, next));
    } catch (err) {
      if (/wrong expected version/i.test((err as Error).message)) return { outcome: 'moved', checkpoint: await this.read(key) };
      throw err;
    }
    if (!written) return { outcome: 'moved', checkpoint: await this.read(key) };
    const after = await this.read(key);
    return after ? { outcome: 'applied', checkpoint: after } : { outcome: 'moved', checkpoint: null };
  }

  /** Records `next` (or, when it is `expected`, holds the category's lock) if the stream still ends at `expected`; false when it moved. */
  private async record(client: Queryable, key: CheckpointKey, expected: string | null, next: string): Promise<boolean> {
    // write_message and the functions it calls are unqualified: they run in the store's schema.
    // A joined transaction (the swap's) gets its own search path back afterwards (a failure rolls it back with the savepoint).
    const { rows: path } = await client.query<{ path: string }>(`SELECT current_setting('search_path') AS path`);
    await client.query(`SELECT set_config('search_path', $1, true)`, [`${quoteIdent(this.schema)}, public`]);
    const recorded = await this.recordInSchema(client, key, expected, next);
    await client.query(`SELECT set_config('search_path', $1, true)`, [path[0]!.path]);
    return recorded;
  }

  private async recordInSchema(client: Queryable, key: CheckpointKey, expected: string | null, next: string): Promise<boolean> {
    const { rows: fn } = await client.query<{ proname: string }>(
      `SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 AND p.proname IN ('write_message', 'acquire_lock')`,
      [this.schema],
    );
    const missing = ['write_message', 'acquire_lock'].filter((name) => !fn.some((f) => f.proname === name)).map((name) => `${quoteIdent(this.schema)}.${name}`);
    if (missing.length > 0) {
      throw new CompanionLayoutError(
        `${missing.join(' and ')} ${missing.length > 1 ? 'do' : 'does'} not exist: Message DB positions are written through write_message, under acquire_lock's lock; install Message DB's functions.`,
      );
    }
    // The lock write_message takes: no consumer of the category records until this transaction ends.
    await client.query('SELECT acquire_lock($1)', [key.projector]);
    const { rows } = await client.query<{ version: string | null; p: string | null }>(
      `SELECT (SELECT max(position) FROM ${this.table} WHERE stream_name = $1)::text AS version,
              (SELECT data->>'position' FROM ${this.table} WHERE stream_name = $1 AND type = 'Recorded' ORDER BY position DESC LIMIT 1) AS p`,
      [key.projector],
    );
    const version = rows[0]?.version ?? null;
    const current = rows[0]?.p ?? null;
    if (current !== null && !DIGITS.test(current)) {
      throw new CompanionLayoutError(`The last position recorded in ${key.projector} is ${JSON.stringify(current)}, which is not a number: it is not reset.`);
    }
    if (current !== expected) return false;
    if (next === expected) return true;
    await client.query(`SELECT write_message($1, $2, 'Recorded', $3::jsonb, NULL, $4::bigint)`, [
      randomUUID(),
      key.projector,
      `{"position":${next}}`,
      version ?? '-1',
    ]);
    return true;
  }

  private view(row: Row): CheckpointView {
    const match = POSITION_STREAM.exec(row.stream_name);
    const extras: Record<string, unknown> = { streamVersion: Number(row.version) };
    if (match?.[2] !== undefined) extras.consumer = match[2];
    const position = row.p !== null && DIGITS.test(row.p) ? row.p : null;
    if (row.p !== null && position === null) extras.unreadablePosition = row.p;
    return {
      store: this.layout.table,
      kind: this.layout.kind,
      projector: row.stream_name,
      source: match?.[1] ?? '',
      // A consumer reads its category only: other categories, its own position records among them, are not lag.
      ...(match ? { lagCategory: match[1] } : {}),
      role: 'projector',
      position,
      updatedAt: row.time ? localUtc(row.time) : null,
      extras,
    };
  }
}

/** Message DB's `time` is a timestamp without time zone holding UTC; pg reads it as local time. */
function localUtc(time: Date): string {
  return new Date(time.getTime() - time.getTimezoneOffset() * 60_000).toISOString();
}
