import type pg from 'pg';
import { checkPosition } from '../../event-store';
import type { CheckpointKey, CheckpointStore, CheckpointView, SetPositionResult } from '../../ports/checkpoint-store';
import { CompanionLayoutError } from '../../ports/errors';
import type { AxonTokenCheckpointLayout } from '../../ports/layouts';
import { qualifiedName } from '../mapping';
import { GAP_AWARE_TOKEN, TokenFormatError, decodeAxonToken, encodeGapAwareToken } from './axon-token';
import { checkColumns, companionColumns } from './table-columns';

interface Row {
  processor_name: string;
  segment: number;
  token: Buffer | null;
  token_type: string | null;
  timestamp: string | null;
  owner: string | null;
}

const COLUMNS = 'processor_name, segment, token, token_type, "timestamp", owner';

/**
 * Axon's `token_entry`: one tracking token per processor and segment. The
 * position shown is the token's index (the highest global index seen) with its
 * gaps; a reset replaces the token, under a row lock, only if it still decodes
 * to the position the caller expects.
 */
export class AxonTokens implements CheckpointStore {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly layout: AxonTokenCheckpointLayout,
    private readonly schema: string,
  ) {}

  static async open(pool: pg.Pool, layout: AxonTokenCheckpointLayout, schema: string): Promise<AxonTokens> {
    const columns = await companionColumns(pool, schema, layout.table, 'Axon tracking tokens');
    checkColumns(qualifiedName(schema, layout.table), columns, {
      processor: { column: 'processor_name' },
      segment: { column: 'segment', types: ['int2', 'int4', 'int8'], what: 'an integer' },
      token: { column: 'token', types: ['bytea', 'oid'], what: 'bytea' },
      'token type': { column: 'token_type' },
      timestamp: { column: 'timestamp' },
      owner: { column: 'owner' },
    });
    return new AxonTokens(pool, layout, schema);
  }

  private get table(): string {
    return qualifiedName(this.schema, this.layout.table);
  }

  sources(): string[] {
    return [this.table];
  }

  async list(): Promise<CheckpointView[]> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM ${this.table} ORDER BY processor_name, segment`);
    return rows.map((r) => this.view(r));
  }

  async read(key: CheckpointKey): Promise<CheckpointView | null> {
    const segment = this.segmentOf(key);
    if (segment === null) return null;
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM ${this.table} WHERE processor_name = $1 AND segment = $2`, [key.projector, segment]);
    return rows[0] ? this.view(rows[0]) : null;
  }

  async setPosition(key: CheckpointKey, expected: string | null, next: string): Promise<SetPositionResult> {
    checkPosition(next, 'the new position');
    if (expected !== null) checkPosition(expected, 'the expected position');
    const segment = this.segmentOf(key);
    if (segment === null) throw new CompanionLayoutError(`An Axon segment is a number; got ${JSON.stringify(key.source)}.`);
    const client = await this.pool.connect();
    let applied = false;
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<Row>(`SELECT ${COLUMNS} FROM ${this.table} WHERE processor_name = $1 AND segment = $2 FOR UPDATE`, [key.projector, segment]);
      const row = rows[0];
      if (!row) throw new CompanionLayoutError(`${this.table} has no segment ${segment} of processor ${key.projector}: Axon creates it when the processor first starts.`);
      const current = this.view(row);
      if (current.extras?.unreadableToken !== undefined) throw new CompanionLayoutError(`The token of ${key.projector} segment ${segment} cannot be read (${String(current.extras.unreadableToken)}): it is not reset.`);
      if (current.position === expected) {
        const serialization = current.extras?.serialization === 'json' ? 'json' : 'xml';
        await client.query(`UPDATE ${this.table} SET token = $3, token_type = $4, "timestamp" = $5 WHERE processor_name = $1 AND segment = $2`, [
          key.projector,
          segment,
          encodeGapAwareToken(next, serialization),
          GAP_AWARE_TOKEN,
          new Date().toISOString(),
        ]);
        applied = true;
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
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
