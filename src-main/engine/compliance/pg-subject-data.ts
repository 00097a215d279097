/**
 * A data subject's footprint in a PostgreSQL store of the classic layout
 * (`events`, `snapshots`, read-model tables, a per-subject key table), as the
 * connection's personal-data map describes it: search, reads for the access
 * export, and the erasure steps (shred, redact, purge, delete snapshots).
 * Every value is a bound parameter; table and column names come from the
 * validated map and are quoted.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { ChronoError } from '../../../src-shared/errors';
import type { Inventory, PersonalDataMap } from '../../../src-shared/schemas/compliance';
import { isSealedField, openField, type SealedField, type SubjectKey } from '../personal-data/sealed-fields';
import { canonicalJson } from '../util/canonical-json';
import { ERASED, eventPathSql, getAt, likeContaining, setAt, snapshotPathSql, splitEventPath } from './json-paths';
import { raisingUpdateTriggers } from './update-triggers';

export interface SubjectEventRow {
  position: string;
  eventId: string;
  streamId: string;
  eventType: string;
  timestamp: string;
  data: unknown;
  metadata: unknown;
}

export interface ScanProgress {
  signal: AbortSignal;
  progress(done: number, total: number, message: string): void;
}

export interface RedactionBatch {
  read: number;
  last: string | undefined;
  changed: RedactedEvent[];
  updates: { position: string; data: string; metadata: string }[];
}

export interface RedactedEvent {
  position: string;
  eventId: string;
  paths: string[];
  sha256After: string;
}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
/** Positions read per step of a scan no index serves: progress and cancel between steps. */
const SCAN_STEP = 200_000;
const MAX_MENTIONS = 200;
const PERSONAL_KEY = /^(e-?mail|name|first_?name|last_?name|full_?name|address|phone|street|postcode|zip|birth_?date|date_?of_?birth|iban)$/i;

export class PgSubjectData {
  private indexed: Promise<boolean> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly map: PersonalDataMap,
  ) {}

  /** Distinct subject paths of events: each becomes one OR-ed predicate. */
  subjectPaths(): string[] {
    return [...new Set(this.map.events.flatMap((e) => e.subjectPaths))].sort();
  }

  /** `(aggregate_id = ANY($1) OR (event_data ->> 'customerId') = ANY($1) ...)`. */
  private subjectPredicate(param = '$1'): string {
    const paths = this.subjectPaths();
    if (paths.length === 0)
      throw new ChronoError('invalid_input', 'The personal-data map names no subject path for any event type: confirm a map that says where subject ids are.');
    return `(${paths.map((p) => `${eventPathSql(p)} = ANY(${param}::text[])`).join(' OR ')})`;
  }

  /** Subject paths a search would scan the whole table for, with the index that would serve each. */
  async indexAdvice(): Promise<Inventory['advice']> {
    const advice: Inventory['advice'] = [];
    for (const path of this.subjectPaths()) {
      const expression = eventPathSql(path);
      const { rows } = await this.pool.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) SELECT 1 FROM events WHERE ${expression} = ANY($1::text[])`, [
        ['x'],
      ]);
      if (!JSON.stringify(rows[0]?.['QUERY PLAN']).includes('"Seq Scan"')) continue;
      const name = `events_${path.replace(/[^A-Za-z0-9]+/g, '_').toLowerCase()}_idx`.slice(0, 63);
      advice.push({
        location: 'events',
        path,
        reason: `Finding a subject by ${path} reads every event: no index serves it.`,
        sql: `CREATE INDEX CONCURRENTLY ${name} ON events ((${expression}))`,
      });
    }
    // Read models and snapshots are read by the subject too (search, purge, verification).
    const others = [
      ...this.map.readModels.map((m) => ({
        table: m.table,
        path: `${m.table}.${m.subjectColumn}`,
        expression: q(m.subjectColumn),
        probe: `${q(m.subjectColumn)}::text`,
      })),
      ...(this.map.snapshots?.subjectPaths ?? []).map((p) => ({
        table: this.map.snapshots!.table,
        path: `${this.map.snapshots!.table}.${p}`,
        expression: snapshotPathSql(p),
        probe: snapshotPathSql(p),
      })),
    ];
    for (const other of others) {
      const { rows } = await this.pool.query<{ 'QUERY PLAN': unknown }>(
        `EXPLAIN (FORMAT JSON) SELECT 1 FROM ${q(other.table)} WHERE ${other.probe} = ANY($1::text[])`,
        [['x']],
      );
      if (!JSON.stringify(rows[0]?.['QUERY PLAN']).includes('"Seq Scan"')) continue;
      const name = `${other.path.replace(/[^A-Za-z0-9]+/g, '_').toLowerCase()}_idx`.slice(0, 63);
      advice.push({
        location: other.table,
        path: other.path,
        reason: `Finding a subject in ${other.table} reads the whole table: no index serves ${other.path}.`,
        sql: `CREATE INDEX CONCURRENTLY ${name} ON ${q(other.table)} ((${other.expression}))`,
      });
    }
    return advice;
  }

  async headPosition(): Promise<number> {
    const { rows } = await this.pool.query<{ head: string | null }>('SELECT max(global_position)::text AS head FROM events');
    return Number(rows[0]?.head ?? 0);
  }

  /**
   * Subject ids whose mapped e-mail paths hold this address: clear values compared
   * directly, sealed ones opened with the subject's key where it still exists, and
   * only when `decrypt` (the profile may decrypt personal data).
   */
  async subjectsByEmail(email: string, scan: ScanProgress, decrypt: boolean): Promise<string[]> {
    const wanted = email.trim().toLowerCase();
    const found = new Set<string>();
    const types = this.map.events.filter((e) => e.personalPaths.some((p) => /e-?mail$/i.test(p.path)));
    const keys = this.keyCache();
    for (const [i, type] of types.entries()) {
      let after = '0';
      for (;;) {
        scan.signal.throwIfAborted();
        const { rows } = await this.pool.query<{ position: string; aggregate_id: string; event_data: unknown; metadata: unknown }>(
          'SELECT global_position::text AS position, aggregate_id, event_data, metadata FROM events WHERE event_type = $1 AND global_position > $2 ORDER BY global_position LIMIT 5000',
          [type.eventType, after],
        );
        if (rows.length === 0) break;
        for (const row of rows) {
          for (const personal of type.personalPaths.filter((p) => /e-?mail$/i.test(p.path))) {
            const { part, keys: path } = splitEventPath(personal.path);
            const value = getAt(part === 'metadata' ? row.metadata : row.event_data, path);
            const clear = isSealedField(value) ? (decrypt ? await keys.open(value, path[path.length - 1]!) : undefined) : value;
            if (typeof clear !== 'string' || clear.trim().toLowerCase() !== wanted) continue;
            for (const subjectPath of type.subjectPaths) {
              const id =
                subjectPath === 'streamId'
                  ? row.aggregate_id
                  : getAt(subjectPath.startsWith('metadata') ? row.metadata : row.event_data, splitEventPath(subjectPath).keys);
              if (typeof id === 'string') found.add(id);
            }
          }
        }
        after = rows[rows.length - 1]!.position;
        scan.progress(i, types.length, `Looking for the e-mail in ${type.eventType} events`);
      }
    }
    return [...found];
  }

  /**
   * Subject ids reached from another identifier: the stream of that id (an account,
   * an order) names its subject in a mapped subject path.
   */
  async subjectsByIdentifier(identifier: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ event_type: string; event_data: unknown; metadata: unknown }>(
      'SELECT event_type, event_data, metadata FROM events WHERE aggregate_id = $1 ORDER BY event_version LIMIT 200',
      [identifier],
    );
    const found = new Set<string>();
    for (const row of rows) {
      for (const path of this.map.events.find((e) => e.eventType === row.event_type)?.subjectPaths ?? []) {
        const { part, keys } = splitEventPath(path);
        const id = part === 'streamId' ? identifier : getAt(part === 'metadata' ? row.metadata : row.event_data, keys);
        if (typeof id === 'string' && id) found.add(id);
      }
    }
    // Only ids that are streams themselves are subjects ("payment-service" in metadata.userId is not).
    const { rows: streams } = await this.pool.query<{ id: string }>('SELECT DISTINCT aggregate_id AS id FROM events WHERE aggregate_id = ANY($1::text[])', [
      [...found],
    ]);
    return streams.map((s) => s.id).sort();
  }

  /** The subject's events per type with first and last seen, by index when one serves, else by a stepped scan. */
  async countEvents(ids: string[], indexed: boolean, scan: ScanProgress): Promise<{ location: Inventory['locations'][number]; scanned: number }> {
    const byType: Record<string, number> = {};
    let first: string | null = null;
    let last: string | null = null;
    let count = 0;
    const fold = (rows: { event_type: string; n: string; first: Date; last: Date }[]) => {
      for (const row of rows) {
        byType[row.event_type] = (byType[row.event_type] ?? 0) + Number(row.n);
        count += Number(row.n);
        const f = row.first.toISOString();
        const l = row.last.toISOString();
        if (first === null || f < first) first = f;
        if (last === null || l > last) last = l;
      }
    };
    const select = `SELECT event_type, count(*) AS n, min("timestamp") AS first, max("timestamp") AS last FROM events WHERE ${this.subjectPredicate()}`;
    let scanned = 0;
    if (indexed) {
      fold((await this.pool.query(`${select} GROUP BY event_type`, [ids])).rows);
    } else {
      const head = await this.headPosition();
      for (let from = 0; from < head; from += SCAN_STEP) {
        scan.signal.throwIfAborted();
        fold((await this.pool.query(`${select} AND global_position > $2 AND global_position <= $3 GROUP BY event_type`, [ids, from, from + SCAN_STEP])).rows);
        scanned = Math.min(head, from + SCAN_STEP);
        scan.progress(scanned, head, `Scanned ${scanned} of ${head} events for the subject (no index serves this search)`);
      }
    }
    return { location: { location: 'events', kind: 'events', count, firstSeen: first, lastSeen: last, byType }, scanned };
  }

  /** Events outside the subject's mapped paths whose text holds its id (another subject's free text): reported, never erased. */
  async findMentions(ids: string[], scan: ScanProgress): Promise<{ mentions: Inventory['mentions']; truncated: boolean }> {
    const head = await this.headPosition();
    const mentions: Inventory['mentions'] = [];
    let truncated = false;
    for (const id of ids) {
      for (let from = 0; from < head; from += SCAN_STEP) {
        scan.signal.throwIfAborted();
        const { rows } = await this.pool.query<{ position: string; aggregate_id: string; event_type: string; in_data: boolean }>(
          `SELECT global_position::text AS position, aggregate_id, event_type, event_data::text LIKE $2 AS in_data FROM events
           WHERE global_position > $3 AND global_position <= $4 AND (event_data::text LIKE $2 OR metadata::text LIKE $2) AND NOT COALESCE(${this.subjectPredicate()}, false)
           ORDER BY global_position LIMIT $5`,
          [[id], likeContaining(id), from, from + SCAN_STEP, MAX_MENTIONS + 1],
        );
        for (const row of rows) {
          if (mentions.length >= MAX_MENTIONS) truncated = true;
          else mentions.push({ position: row.position, streamId: row.aggregate_id, eventType: row.event_type, where: row.in_data ? 'data' : 'metadata' });
        }
        const scanned = Math.min(head, from + SCAN_STEP);
        scan.progress(scanned, head, `Looked for mentions of the subject in ${scanned} of ${head} events`);
      }
    }
    return { mentions, truncated };
  }

  private snapshotPredicate(param = '$1'): string | undefined {
    const paths = this.map.snapshots?.subjectPaths ?? [];
    if (paths.length === 0) return undefined;
    return `(${paths.map((p) => `${snapshotPathSql(p)} = ANY(${param}::text[])`).join(' OR ')})`;
  }

  async countSnapshots(ids: string[]): Promise<Inventory['locations'][number] | undefined> {
    const predicate = this.snapshotPredicate();
    if (!this.map.snapshots || !predicate) return undefined;
    const { rows } = await this.pool.query<{ n: string; first: Date | null; last: Date | null }>(
      `SELECT count(*) AS n, min(taken_at) AS first, max(taken_at) AS last FROM ${q(this.map.snapshots.table)} WHERE ${predicate}`,
      [ids],
    );
    return {
      location: this.map.snapshots.table,
      kind: 'snapshots',
      count: Number(rows[0]?.n ?? 0),
      firstSeen: rows[0]?.first?.toISOString() ?? null,
      lastSeen: rows[0]?.last?.toISOString() ?? null,
    };
  }

  async countReadModels(ids: string[]): Promise<Inventory['locations']> {
    const out: Inventory['locations'] = [];
    for (const model of this.map.readModels) {
      const hasUpdatedAt = await this.hasColumn(model.table, 'updated_at');
      const { rows } = await this.pool.query<{ n: string; first: Date | null; last: Date | null }>(
        `SELECT count(*) AS n, ${hasUpdatedAt ? 'min(updated_at) AS first, max(updated_at) AS last' : 'NULL::timestamptz AS first, NULL::timestamptz AS last'} FROM ${q(model.table)} WHERE ${q(model.subjectColumn)}::text = ANY($1::text[])`,
        [ids],
      );
      out.push({
        location: model.table,
        kind: 'readModel',
        count: Number(rows[0]?.n ?? 0),
        firstSeen: rows[0]?.first?.toISOString() ?? null,
        lastSeen: rows[0]?.last?.toISOString() ?? null,
        note: `by ${model.subjectColumn}; ${model.action}`,
      });
    }
    return out;
  }

  async countKeys(ids: string[]): Promise<Inventory['locations'][number] | undefined> {
    const store = this.map.keyStore;
    if (!store) return undefined;
    const hasCreatedAt = await this.hasColumn(store.table, 'created_at');
    const { rows } = await this.pool.query<{ n: string; first: Date | null }>(
      `SELECT count(*) AS n, ${hasCreatedAt ? 'min(created_at)' : 'NULL::timestamptz'} AS first FROM ${q(store.table)} WHERE ${q(store.subjectColumn)} = ANY($1::text[])`,
      [ids],
    );
    const first = rows[0]?.first?.toISOString() ?? null;
    return { location: store.table, kind: 'keyStore', count: Number(rows[0]?.n ?? 0), firstSeen: first, lastSeen: first };
  }

  /** Whether indexes serve the whole subject predicate on events (no path would make a search read every event). */
  private subjectIndexed(): Promise<boolean> {
    this.indexed ??= this.pool
      .query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) SELECT 1 FROM events WHERE ${this.subjectPredicate()}`, [['x']])
      .then(({ rows }) => !JSON.stringify(rows[0]?.['QUERY PLAN']).includes('"Seq Scan"'));
    return this.indexed;
  }

  /**
   * The subject's events after a position, in position order (export, redaction, verification).
   * Where indexes serve the subject, its positions come from them (sorted by `global_position + 0`, an order the position
   * index cannot give): given `ORDER BY global_position LIMIT n`, the planner walks the position index from the position and
   * filters every event on the way, reading the whole table before a subject whose events sit near the head (a rerun of a
   * redaction, a subject of last week). Without those indexes the walk is the cheapest plan left: each batch continues it.
   */
  async subjectEvents(ids: string[], afterPosition: string, limit: number): Promise<SubjectEventRow[]> {
    const positions = (await this.subjectIndexed())
      ? `global_position = ANY(ARRAY(SELECT global_position FROM events WHERE ${this.subjectPredicate()} AND global_position > $2 ORDER BY global_position + 0 LIMIT $3))`
      : `${this.subjectPredicate()} AND global_position > $2`;
    const { rows } = await this.pool.query<{
      position: string;
      event_id: string;
      aggregate_id: string;
      event_type: string;
      timestamp: Date;
      event_data: unknown;
      metadata: unknown;
    }>(
      `SELECT global_position::text AS position, event_id::text, aggregate_id, event_type, "timestamp", event_data, metadata FROM events
       WHERE ${positions} ORDER BY global_position LIMIT $3`,
      [ids, afterPosition, limit],
    );
    return rows.map((r) => ({
      position: r.position,
      eventId: r.event_id,
      streamId: r.aggregate_id,
      eventType: r.event_type,
      timestamp: r.timestamp.toISOString(),
      data: r.event_data,
      metadata: r.metadata,
    }));
  }

  async snapshotRows(ids: string[]): Promise<{ aggregateId: string; version: number; takenAt: string | null; state: unknown }[]> {
    const predicate = this.snapshotPredicate();
    if (!this.map.snapshots || !predicate) return [];
    const { rows } = await this.pool.query<{ aggregate_id: string; version: number; taken_at: Date | null; state: unknown }>(
      `SELECT aggregate_id, version, taken_at, state FROM ${q(this.map.snapshots.table)} WHERE ${predicate} ORDER BY aggregate_id, version`,
      [ids],
    );
    return rows.map((r) => ({ aggregateId: r.aggregate_id, version: r.version, takenAt: r.taken_at?.toISOString() ?? null, state: r.state }));
  }

  async readModelRows(ids: string[]): Promise<{ table: string; rows: Record<string, unknown>[] }[]> {
    const out = [];
    for (const model of this.map.readModels) {
      const { rows } = await this.pool.query<Record<string, unknown>>(
        `SELECT * FROM ${q(model.table)} WHERE ${q(model.subjectColumn)}::text = ANY($1::text[])`,
        [ids],
      );
      out.push({ table: model.table, rows });
    }
    return out;
  }

  keyCache(): KeyCache {
    return new KeyCache(postgresKeyLoader(this.pool, this.map));
  }

  // ---- erasure steps ----

  /** Deletes the subjects' key rows; returns the key ids deleted (none when already shredded). */
  async shred(ids: string[]): Promise<string[]> {
    const store = this.requireKeyStore();
    const { rows } = await this.pool.query<{ key_id: string }>(
      `DELETE FROM ${q(store.table)} WHERE ${q(store.subjectColumn)} = ANY($1::text[]) RETURNING ${q(store.keyIdColumn)}::text AS key_id`,
      [ids],
    );
    return rows.map((r) => r.key_id);
  }

  async keyIds(ids: string[]): Promise<string[]> {
    const store = this.map.keyStore;
    if (!store) return [];
    const { rows } = await this.pool.query<{ key_id: string }>(
      `SELECT ${q(store.keyIdColumn)}::text AS key_id FROM ${q(store.table)} WHERE ${q(store.subjectColumn)} = ANY($1::text[])`,
      [ids],
    );
    return rows.map((r) => r.key_id);
  }

  ownsPersonalData(row: SubjectEventRow, ids: readonly string[]): boolean {
    return ownsPersonalData(this.map, row, ids);
  }

  redactedForm(row: SubjectEventRow, ids: readonly string[]): RedactedForm {
    return redactedForm(this.map, row, ids);
  }

  /**
   * Why the events table refuses updates, if it does: a missing UPDATE privilege,
   * or an enabled UPDATE trigger whose function raises. Read from the catalog only:
   * the dry run asks this too, and it must not write or lock the live events table.
   * (The sample position is for stores that can only tell by trying, as MongoDB.)
   */
  async updateRefusal(_samplePosition?: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ allowed: boolean }>(`SELECT has_table_privilege(current_user, 'events', 'UPDATE') AS allowed`);
    if (!rows[0]?.allowed)
      return "This connection's database user may not UPDATE the events table, so events cannot be redacted in place. Crypto-shred the subject instead, or ask a DBA for a user with UPDATE on events.";
    const [first, ...more] = await raisingUpdateTriggers(this.pool, 'events');
    if (!first) return undefined;
    const names = [first, ...more].map((t) => t.trigger).join(', ');
    return `The events table refuses updates (trigger ${names}): ${first.message ?? 'its function raises an exception'}. The store is append-only by design; crypto-shred the subject instead, or disable the trigger for the redaction with the DBA's agreement.`;
  }

  /** The next batch of the subject's events with their redacted form (see planFromRows). */
  async planRedaction(ids: string[], afterPosition: string, limit: number): Promise<RedactionBatch> {
    return planFromRows(this.map, await this.subjectEvents(ids, afterPosition, limit), ids);
  }

  /** Writes a planned batch in one statement (all of it or nothing). */
  async applyRedaction(batch: RedactionBatch): Promise<void> {
    if (batch.updates.length === 0) return;
    await this.pool.query(
      `UPDATE events AS e SET event_data = v.data::jsonb, metadata = v.metadata::jsonb
       FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v(position, data, metadata) WHERE e.global_position = v.position`,
      [batch.updates.map((u) => u.position), batch.updates.map((u) => u.data), batch.updates.map((u) => u.metadata)],
    );
  }

  async countSubjectEvents(ids: string[]): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM events WHERE ${this.subjectPredicate()}`, [ids]);
    return Number(rows[0]?.n ?? 0);
  }

  /** Rows per read model that a purge would delete or anonymise. */
  async purgeReadModels(ids: string[], dryRun: boolean): Promise<{ table: string; action: string; rows: number }[]> {
    const out = [];
    for (const model of this.map.readModels) {
      const where = `${q(model.subjectColumn)}::text = ANY($1::text[])`;
      if (dryRun) {
        const { rows } = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${q(model.table)} WHERE ${where}`, [ids]);
        out.push({ table: model.table, action: model.action, rows: Number(rows[0]?.n ?? 0) });
        continue;
      }
      if (model.action === 'delete' || model.personalColumns.length === 0) {
        const result = await this.pool.query(`DELETE FROM ${q(model.table)} WHERE ${where}`, [ids]);
        out.push({ table: model.table, action: 'delete', rows: result.rowCount ?? 0 });
      } else {
        const set = model.personalColumns.map((c, i) => `${q(c)} = $${i + 2}`).join(', ');
        const changed = model.personalColumns.map((c) => `${q(c)} IS DISTINCT FROM ${`$${model.personalColumns.indexOf(c) + 2}`}`).join(' OR ');
        const result = await this.pool.query(`UPDATE ${q(model.table)} SET ${set} WHERE ${where} AND (${changed})`, [
          ids,
          ...model.personalColumns.map(() => ERASED),
        ]);
        out.push({ table: model.table, action: 'anonymise', rows: result.rowCount ?? 0 });
      }
    }
    return out;
  }

  async deleteSnapshots(ids: string[], dryRun: boolean): Promise<number> {
    const predicate = this.snapshotPredicate();
    if (!this.map.snapshots || !predicate) return 0;
    if (dryRun) {
      const { rows } = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${q(this.map.snapshots.table)} WHERE ${predicate}`, [ids]);
      return Number(rows[0]?.n ?? 0);
    }
    const result = await this.pool.query(`DELETE FROM ${q(this.map.snapshots.table)} WHERE ${predicate}`, [ids]);
    return result.rowCount ?? 0;
  }

  private requireKeyStore(): NonNullable<PersonalDataMap['keyStore']> {
    if (!this.map.keyStore)
      throw new ChronoError(
        'invalid_input',
        'The personal-data map names no key store: crypto-shredding needs the table of per-subject keys. Confirm it in the map, or redact instead.',
      );
    return this.map.keyStore;
  }

  private async hasColumn(table: string, column: string): Promise<boolean> {
    const { rows } = await this.pool.query(
      'SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2',
      [table, column],
    );
    return rows.length > 0;
  }
}

/** Keys looked up by id once per search or export; a missing key is remembered as shredded. */
export class KeyCache {
  private readonly keys = new Map<string, Promise<SubjectKey | null>>();
  constructor(private readonly load: (keyId: string) => Promise<SubjectKey | null>) {}

  get(keyId: string): Promise<SubjectKey | null> {
    let key = this.keys.get(keyId);
    if (!key) {
      key = this.load(keyId);
      this.keys.set(keyId, key);
    }
    return key;
  }

  /** The clear value, or undefined when the key is gone or does not open it. */
  async open(sealed: SealedField, field: string): Promise<unknown> {
    const key = await this.get(sealed.kid);
    if (!key) return undefined;
    try {
      return openField(sealed, key, field);
    } catch {
      return undefined;
    }
  }
}

/** Keys of a PostgreSQL key table (the reference system's `subject_keys`). */
export function postgresKeyLoader(pool: pg.Pool, map: Pick<PersonalDataMap, 'keyStore'>): (keyId: string) => Promise<SubjectKey | null> {
  return async (keyId) => {
    const store = map.keyStore;
    if (!store || !/^[0-9a-f-]{1,64}$/i.test(keyId)) return null;
    const { rows } = await pool.query<{ key_id: string; subject_id: string; key: Buffer }>(
      `SELECT ${q(store.keyIdColumn)}::text AS key_id, ${q(store.subjectColumn)} AS subject_id, ${q(store.keyColumn)} AS key FROM ${q(store.table)} WHERE ${q(store.keyIdColumn)}::text = $1`,
      [keyId],
    );
    const row = rows[0];
    return row ? { keyId: row.key_id, subjectId: row.subject_id, key: row.key } : null;
  };
}

export interface RedactedForm {
  data: unknown;
  metadata: unknown;
  changes: { path: string; before: string }[];
}

/**
 * Whether the event's personal data is the subject's own: its type's first subject
 * path (the stream for customer events) names the subject. An event that only
 * mentions the subject elsewhere (who acted, in metadata) holds someone else's data.
 */
export function ownsPersonalData(map: PersonalDataMap, row: SubjectEventRow, ids: readonly string[]): boolean {
  const owner = map.events.find((e) => e.eventType === row.eventType)?.subjectPaths[0];
  if (!owner) return false;
  const { part, keys } = splitEventPath(owner);
  const value = part === 'streamId' ? row.streamId : getAt(part === 'metadata' ? row.metadata : row.data, keys);
  return typeof value === 'string' && ids.includes(value);
}

/** The event with its mapped personal paths set to the tombstone; `changes` lists what actually changed. */
export function redactedForm(map: PersonalDataMap, row: SubjectEventRow, ids: readonly string[]): RedactedForm {
  const mapping = map.events.find((e) => e.eventType === row.eventType);
  const data = structuredClone(row.data);
  const metadata = structuredClone(row.metadata);
  const changes: { path: string; before: string }[] = [];
  if (!ownsPersonalData(map, row, ids)) return { data, metadata, changes };
  for (const personal of mapping?.personalPaths ?? []) {
    const { part, keys } = splitEventPath(personal.path);
    if (part === 'streamId') continue;
    const target = part === 'metadata' ? metadata : data;
    const before = getAt(target, keys);
    if (before === undefined || before === ERASED) continue;
    if (setAt(target, keys, ERASED))
      changes.push({
        path: personal.path,
        before: isSealedField(before) ? '[sealed]' : before === null ? 'null' : typeof before === 'string' ? before : JSON.stringify(before),
      });
  }
  return { data, metadata, changes };
}

/**
 * A batch of the subject's events with their redacted form. Events that already
 * carry the tombstone everywhere are left out, so a rerun changes nothing twice.
 */
export function planFromRows(map: PersonalDataMap, rows: SubjectEventRow[], ids: readonly string[]): RedactionBatch {
  const batch: RedactionBatch = { read: rows.length, last: rows[rows.length - 1]?.position, changed: [], updates: [] };
  for (const row of rows) {
    const redacted = redactedForm(map, row, ids);
    if (redacted.changes.length === 0) continue;
    batch.updates.push({ position: row.position, data: JSON.stringify(redacted.data), metadata: JSON.stringify(redacted.metadata) });
    batch.changed.push({
      position: row.position,
      eventId: row.eventId,
      paths: redacted.changes.map((c) => c.path),
      sha256After: sha256(canonicalJson({ data: redacted.data, metadata: redacted.metadata })),
    });
  }
  return batch;
}

/** Personal-looking values in clear in a JSON value (keys like email/name/address), tombstones and sealed fields excepted. */
export function clearPersonalKeys(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null || isSealedField(value)) return [];
  const found: string[] = [];
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (PERSONAL_KEY.test(key) && item !== null && item !== ERASED && !isSealedField(item) && item !== '') found.push(path);
    else if (typeof item === 'object') found.push(...clearPersonalKeys(item, path));
  }
  return found;
}

/** Opens every sealed field of an event where its key exists; `[shredded]` where it does not. */
export async function decryptEvent(row: SubjectEventRow, keys: KeyCache): Promise<SubjectEventRow> {
  return { ...row, data: await openAll(row.data, keys), metadata: await openAll(row.metadata, keys) };
}

/** What `openAll` did with one sealed field: opened it, or found its key gone. */
export type SealedOutcome = { path: (string | number)[]; sealed: SealedField; state: 'decrypted' | 'shredded' };

/**
 * Every sealed field inside a value opened (the field name is its key), `[shredded]`
 * where the key is gone; `onField` hears of each one with its path (browse marks them).
 */
export async function openAll(
  value: unknown,
  keys: KeyCache,
  field = '',
  onField?: (outcome: SealedOutcome) => void,
  path: (string | number)[] = [],
): Promise<unknown> {
  if (isSealedField(value)) {
    const clear = await keys.open(value, field);
    onField?.({ path, sealed: value, state: clear === undefined ? 'shredded' : 'decrypted' });
    return clear === undefined ? SHREDDED : clear;
  }
  if (Array.isArray(value)) return Promise.all(value.map((v, i) => openAll(v, keys, field, onField, [...path, i])));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = await openAll(item, keys, key, onField, [...path, key]);
  return out;
}

/** What a sealed field reads once its subject's key was deleted. */
export const SHREDDED = '[shredded]';

/** Sealed fields in a value, with the field name that binds each ciphertext. */
export function sealedFieldsOf(value: unknown, field = ''): { field: string; sealed: SealedField }[] {
  if (isSealedField(value)) return [{ field, sealed: value }];
  if (typeof value !== 'object' || value === null) return [];
  if (Array.isArray(value)) return value.flatMap((v) => sealedFieldsOf(v, field));
  return Object.entries(value).flatMap(([key, item]) => sealedFieldsOf(item, key));
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
