/**
 * The personal-data map of a connection: which event types and JSON paths hold
 * subject ids and personal data, which read-model columns, which snapshot paths,
 * where the per-subject keys are. Proposed from a sample of events (sealed-field
 * shape, key-like names) and the tables found; saved once the user confirms it.
 */
import { join } from 'node:path';
import type { Db } from 'mongodb';
import type pg from 'pg';
import { personalDataMap, type PersonalDataMap } from '../../../src-shared/schemas/compliance';
import { isSealedField } from '../personal-data/sealed-fields';
import { readJsonIfExists, writeFileAtomic } from '../util/files';
import { sampleMongoEvents } from './mongo-subject-data';

const SUBJECT_KEY = /^(customer|owner|user|subject|person|client|member|patient)_?id$/i;
const PERSONAL_KEY = /^(e-?mail|name|first_?name|last_?name|full_?name|address|phone|phone_?number|street|postcode|zip|birth_?date|date_?of_?birth|iban)$/i;
/** Support tables of event stores that are never read models (checkpoint tables hold no subject column, so they are never proposed). */
const NOT_READ_MODELS = new Set(['events', 'snapshots', 'outbox', 'reference_markers', 'subject_keys']);

export class PersonalDataMaps {
  constructor(private readonly dir: string) {}

  async get(connectionId: string): Promise<PersonalDataMap | null> {
    const saved = await readJsonIfExists<unknown>(this.path(connectionId));
    if (saved === undefined) return null;
    const parsed = personalDataMap.safeParse(saved);
    return parsed.success ? parsed.data : null;
  }

  async save(map: PersonalDataMap): Promise<PersonalDataMap> {
    const confirmed = personalDataMap.parse({ ...map, confirmedAt: new Date().toISOString() });
    await writeFileAtomic(this.path(map.connectionId), `${JSON.stringify(confirmed, null, 1)}\n`);
    return confirmed;
  }

  private path(connectionId: string): string {
    return join(this.dir, `${connectionId}.json`);
  }
}

/** A proposal for a classic PostgreSQL store, from the newest `sampleSize` events and the tables' columns. */
export async function proposePostgresMap(pool: pg.Pool, connectionId: string, sampleSize: number): Promise<PersonalDataMap> {
  // The newest events of every type (a loose index scan finds the types), so rare types are sampled too.
  const { rows: typeRows } = await pool.query<{ event_type: string }>(
    `WITH RECURSIVE t AS (
       (SELECT event_type FROM events ORDER BY event_type LIMIT 1)
       UNION ALL
       SELECT (SELECT event_type FROM events WHERE event_type > t.event_type ORDER BY event_type LIMIT 1) FROM t WHERE t.event_type IS NOT NULL
     ) SELECT event_type FROM t WHERE event_type IS NOT NULL LIMIT 1000`,
  );
  const perType = Math.max(5, Math.floor(sampleSize / Math.max(1, typeRows.length)));
  const { rows } = await pool.query<{ event_type: string; event_data: unknown; metadata: unknown }>(
    `SELECT s.event_type, s.event_data, s.metadata FROM unnest($1::text[]) AS t(type)
     CROSS JOIN LATERAL (SELECT event_type, event_data, metadata FROM events WHERE event_type = t.type ORDER BY global_position DESC LIMIT $2) s`,
    [typeRows.map((r) => r.event_type), perType],
  );
  const events = proposeEvents(rows);

  const { rows: columns } = await pool.query<{ table_name: string; column_name: string }>(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
     WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' ORDER BY c.table_name, c.ordinal_position`,
  );
  const tables = new Map<string, string[]>();
  for (const c of columns) tables.set(c.table_name, [...(tables.get(c.table_name) ?? []), c.column_name]);
  const readModels = [...tables.entries()]
    .filter(([table]) => !NOT_READ_MODELS.has(table))
    .flatMap(([table, cols]) => {
      const subjectColumn = cols.find((c) => SUBJECT_KEY.test(c));
      if (!subjectColumn) return [];
      return [{ table, subjectColumn, personalColumns: cols.filter((c) => PERSONAL_KEY.test(c)), action: 'delete' as const }];
    });
  const snapshotCols = tables.get('snapshots') ?? [];
  const snapshots =
    snapshotCols.includes('aggregate_id') && snapshotCols.includes('state') ? { table: 'snapshots', subjectPaths: await snapshotSubjectPaths(pool) } : null;
  const keyCols = tables.get('subject_keys') ?? [];
  const keyStore = ['subject_id', 'key_id', 'key_material'].every((c) => keyCols.includes(c))
    ? { table: 'subject_keys', subjectColumn: 'subject_id', keyIdColumn: 'key_id', keyColumn: 'key_material' }
    : null;
  return personalDataMap.parse({ connectionId, events, readModels, snapshots, keyStore, requireSecondApprover: false, proposedFromEvents: rows.length });
}

/** Event types with their subject and personal paths, from sampled events. */
function proposeEvents(rows: readonly { event_type: string; event_data: unknown; metadata: unknown }[]): PersonalDataMap['events'] {
  const types = new Map<string, { sampled: number; subject: Set<string>; personal: Map<string, boolean> }>();
  for (const row of rows) {
    let entry = types.get(row.event_type);
    if (!entry) types.set(row.event_type, (entry = { sampled: 0, subject: new Set(), personal: new Map() }));
    entry.sampled += 1;
    walk(row.event_data, 'data', entry);
    walk(row.metadata, 'metadata', entry);
  }
  // A type carrying personal data is about the subject whose stream it is in.
  return [...types.entries()]
    .map(([eventType, e]) => {
      const personalPaths = [...e.personal.entries()].map(([path, sealed]) => ({ path, sealed })).sort((a, b) => a.path.localeCompare(b.path));
      const subjectPaths = [...(personalPaths.length > 0 ? ['streamId'] : []), ...[...e.subject].sort()];
      return { eventType, subjectPaths, personalPaths, sampled: e.sampled };
    })
    .filter((e) => e.subjectPaths.length > 0)
    .sort((a, b) => a.eventType.localeCompare(b.eventType));
}

/** A proposal for a MongoDB store of the reference layout: events, snapshots and read-model collections; no key store. */
export async function proposeMongoMap(db: Db, connectionId: string, sampleSize: number): Promise<PersonalDataMap> {
  const rows = await sampleMongoEvents(db, sampleSize);
  const collections = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).filter((n) => /^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(n));
  const readModels: PersonalDataMap['readModels'] = [];
  for (const name of collections.filter((n) => !NOT_READ_MODELS.has(n) && n !== 'counters')) {
    const sample = await db.collection(name).findOne({});
    const fields = sample ? Object.keys(sample).filter((k) => /^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(k)) : [];
    const subjectColumn = fields.find((f) => SUBJECT_KEY.test(f));
    if (subjectColumn) readModels.push({ table: name, subjectColumn, personalColumns: fields.filter((f) => PERSONAL_KEY.test(f)), action: 'delete' });
  }
  let snapshots: PersonalDataMap['snapshots'] = null;
  if (collections.includes('snapshots')) {
    const keys = new Set<string>();
    for (const doc of await db.collection('snapshots').find({}).sort({ takenAt: -1 }).limit(500).toArray()) {
      if (doc.state && typeof doc.state === 'object') for (const key of Object.keys(doc.state as object)) if (SUBJECT_KEY.test(key)) keys.add(key);
    }
    snapshots = { table: 'snapshots', subjectPaths: ['aggregateId', ...[...keys].sort().map((k) => `state.${k}`)] };
  }
  return personalDataMap.parse({
    connectionId,
    events: proposeEvents(rows),
    readModels,
    snapshots,
    keyStore: null,
    requireSecondApprover: false,
    proposedFromEvents: rows.length,
  });
}

/** `aggregateId` plus the state keys of sampled snapshots that look like subject ids (`state.ownerId`). */
async function snapshotSubjectPaths(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ key: string }>(
    "SELECT DISTINCT jsonb_object_keys(state) AS key FROM (SELECT state FROM snapshots WHERE jsonb_typeof(state) = 'object' ORDER BY taken_at DESC LIMIT 500) s",
  );
  return [
    'aggregateId',
    ...rows
      .map((r) => r.key)
      .filter((k) => SUBJECT_KEY.test(k))
      .sort()
      .map((k) => `state.${k}`),
  ];
}

function walk(value: unknown, path: string, entry: { subject: Set<string>; personal: Map<string, boolean> }, depth = 0): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || depth > 4) return;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (!/^[A-Za-z0-9_$-]+$/.test(key)) continue;
    const here = `${path}.${key}`;
    if (isSealedField(item)) entry.personal.set(here, true);
    else if (PERSONAL_KEY.test(key) && item !== null) entry.personal.set(here, entry.personal.get(here) ?? false);
    else if (SUBJECT_KEY.test(key) && typeof item === 'string') entry.subject.add(here);
    else walk(item, here, entry, depth + 1);
  }
}
