import type pg from 'pg';
import { checkPosition } from '../../event-store';
import type { CheckpointKey, CheckpointStore, CheckpointTransaction, CheckpointView, SetPositionResult } from '../../ports/checkpoint-store';
import { CompanionLayoutError } from '../../ports/errors';
import type { AxonTokenCheckpointLayout } from '../../ports/layouts';
import { qualifiedName, quoteIdent } from '../mapping';
import { GAP_AWARE_TOKEN, TokenFormatError, decodeAxonToken, encodeGapAwareToken } from './axon-token';
import { joinedSession, poolSession, sessionTransaction, type SqlSession } from './sql-session';
import { checkColumns, companionColumns } from './table-columns';

interface Row {
  processor_name: string;
  segment: number;
  token: Buffer | null;
  token_type: string | null;
  timestamp: string | null;
  owner: string | null;
}

/** How long an Axon node's claim on a segment lasts without being extended (its token stores' default `claimTimeout`). */
const CLAIM_TIMEOUT_MS = 10_000;

/** JPA's `token_entry` naming. */
const JPA_COLUMNS = { processorName: 'processor_name', segment: 'segment', token: 'token', tokenType: 'token_type', timestamp: 'timestamp', owner: 'owner' };

/**
 * Axon's `token_entry`: one tracking token per processor and segment. The
 * position shown is the token's index (the highest global index seen) with its
 * gaps; a reset replaces the token, under a row lock, only if it still decodes
 * to the position the caller expects. As Axon's own `resetTokens`, it refuses a
 * segment a running node still claims (owner set, claim younger than the claim
 * timeout). Holding a position (next = expected, the rebuild swap) rewrites nothing:
 * the row lock keeps the processor's `storeToken` waiting until the transaction ends.
 */
export class AxonTokens implements CheckpointStore {
  readonly atomic = true;
  private constructor(
    private readonly session: SqlSession,
    private readonly layout: AxonTokenCheckpointLayout,
    private readonly schema: string,
  ) {}

  static async open(pool: pg.Pool, layout: AxonTokenCheckpointLayout, schema: string): Promise<AxonTokens> {
    const columns = await companionColumns(pool, schema, layout.table, 'Axon tracking tokens');
    const c = layout.columns ?? JPA_COLUMNS;
    checkColumns(qualifiedName(schema, layout.table), columns, {
      processor: { column: c.processorName },
      segment: { column: c.segment, types: ['int2', 'int4', 'int8'], what: 'an integer' },
      token: { column: c.token, types: ['bytea'], what: 'bytea' },
      'token type': { column: c.tokenType },
      timestamp: { column: c.timestamp },
      owner: { column: c.owner },
    });
    return new AxonTokens(poolSession(pool), layout, schema);
  }

  private get table(): string {
    return qualifiedName(this.schema, this.layout.table);
  }

  private get c(): Record<keyof typeof JPA_COLUMNS, string> {
    return Object.fromEntries(Object.entries(this.layout.columns ?? JPA_COLUMNS).map(([role, name]) => [role, quoteIdent(name)])) as Record<
      keyof typeof JPA_COLUMNS,
      string
    >;
  }

  /** The row's columns under the names `Row` reads. */
  private get selectList(): string {
    const c = this.c;
    return `${c.processorName} AS processor_name, ${c.segment} AS segment, ${c.token} AS token, ${c.tokenType} AS token_type, ${c.timestamp}::text AS "timestamp", ${c.owner} AS owner`;
  }

  private get whereKey(): string {
    return `${this.c.processorName} = $1 AND ${this.c.segment} = $2`;
  }

  sources(): string[] {
    return [this.table];
  }

  stores(): string[] {
    return [this.layout.table];
  }

  transaction<T>(work: (store: CheckpointStore) => Promise<T>): Promise<T> {
    return sessionTransaction<CheckpointStore, T>(this.session, this, (client) => this.joining(client), work);
  }

  joining(client: CheckpointTransaction): CheckpointStore {
    return new AxonTokens(joinedSession(client), this.layout, this.schema);
  }

  async list(): Promise<CheckpointView[]> {
    const { rows } = await this.session.db.query<Row>(`SELECT ${this.selectList} FROM ${this.table} ORDER BY 1, 2`);
    return rows.map((r) => this.view(r));
  }

  async read(key: CheckpointKey): Promise<CheckpointView | null> {
    const segment = this.segmentOf(key);
    if (segment === null) return null;
    const { rows } = await this.session.db.query<Row>(`SELECT ${this.selectList} FROM ${this.table} WHERE ${this.whereKey}`, [key.projector, segment]);
    return rows[0] ? this.view(rows[0]) : null;
  }

  async setPosition(key: CheckpointKey, expected: string | null, next: string): Promise<SetPositionResult> {
    checkPosition(next, 'the new position');
    if (expected !== null) checkPosition(expected, 'the expected position');
    const segment = this.segmentOf(key);
    if (segment === null) throw new CompanionLayoutError(`An Axon segment is a number; got ${JSON.stringify(key.source)}.`);
    const applied = await this.session.atomically(async (client) => {
      const { rows } = await client.query<Row>(`SELECT ${this.selectList} FROM ${this.table} WHERE ${this.whereKey} FOR UPDATE`, [key.projector, segment]);
      const row = rows[0];
      if (!row)
        throw new CompanionLayoutError(
          `${this.table} has no segment ${segment} of processor ${key.projector}: Axon creates it when the processor first starts.`,
        );
      const current = this.view(row);
      if (current.extras?.unreadableToken !== undefined)
        throw new CompanionLayoutError(
          `The token of ${key.projector} segment ${segment} cannot be read (${String(current.extras.unreadableToken)}): it is not reset.`,
        );
      if (current.position === expected) {
        if (next === expected) return true;
        refuseLiveClaim(key.projector, segment, row);
        const serialization = current.extras?.serialization === 'json' ? 'json' : 'xml';
        // As Axon's reset ends: the token stored, the claim released (owner NULL), so the next node claims it afresh.
        await client.query(
          `UPDATE ${this.table} SET ${this.c.token} = $3, ${this.c.tokenType} = $4, ${this.c.timestamp} = $5, ${this.c.owner} = NULL WHERE ${this.whereKey}`,
          [key.projector, segment, encodeGapAwareToken(next, serialization), GAP_AWARE_TOKEN, new Date().toISOString()],
        );
        return true;
      }
      return false;
    });
    const after = await this.read(key);
    return applied && after ? { outcome: 'applied', checkpoint: after } : { outcome: 'moved', checkpoint: after };
  }

  private segmentOf(key: CheckpointKey): number | null {
    if (key.store !== this.layout.table || !/^\d{1,9}$/.test(key.source)) return null;
    return Number(key.source);
  }

  private view(row: Row): CheckpointView {
    const extras: Record<string, unknown> = { segment: row.segment, owner: row.owner, tokenType: row.token_type };
    let position: string | null = null;
    if (row.token !== null) {
      try {
        const token = decodeAxonToken(row.token, row.token_type);
        position = token.index;
        Object.assign(extras, { serialization: token.serialization, tokenClass: token.tokenClass, gaps: token.gaps });
        if (token.resetAt !== undefined) extras.resetAt = token.resetAt;
      } catch (err) {
        if (!(err instanceof TokenFormatError)) throw err;
        extras.unreadableToken = err.message;
      }
    }
    return {
      store: this.layout.table,
      kind: this.layout.kind,
      projector: row.processor_name,
      source: String(row.segment),
      role: 'projector',
      position,
      updatedAt: row.timestamp,
      extras,
    };
  }
}

/** A segment claimed by a running node is not reset under it (Axon's resetTokens needs the processor shut down). */
function refuseLiveClaim(processor: string, segment: number, row: Row, now = Date.now()): void {
  if (row.owner === null) return;
  const claimedAt = row.timestamp === null ? Number.NaN : Date.parse(row.timestamp);
  if (Number.isNaN(claimedAt) || now - claimedAt >= CLAIM_TIMEOUT_MS) return;
  throw new CompanionLayoutError(
    `Segment ${segment} of ${processor} is claimed by ${row.owner} (claim renewed ${Math.max(0, Math.round((now - claimedAt) / 1000))} s ago): Axon resets tokens only while the processor is shut down; stop it on every node and reset again.`,
  );
}
