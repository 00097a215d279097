import type pg from 'pg';
import { POSTGRES_PRESET_NAMES, type PostgresPresetName } from '../../../src-shared/presets';
import { INTEGER_TYPES, PAYLOAD_TYPES, TIME_TYPES } from './column-types';
import { PRESET_KEY_TYPE_OVERRIDES } from './preset-key-types';

/**
 * How a PostgreSQL table maps onto the EventStore port. Presets cover the
 * schemas of reference/event-store-schemas.md; a custom mapping covers the rest.
 * Names are identifiers (always quoted when used), never SQL fragments.
 */
export interface PostgresEventMapping {
  preset: PresetName | 'custom';
  /** Schema of the events table; 'public' when omitted. */
  schema?: string;
  table: string;
  columns: {
    /** Stream id column of the events table (for a joined stream table: the foreign key). */
    streamId: string;
    version: string;
    type: string;
    data: string;
    metadata?: string;
    timestamp?: string;
    eventId?: string;
    /** Global order; without it there is no feed. */
    position?: string;
    /** Stream type / category column of the events table. */
    streamType?: string;
    correlationId?: string;
    causationId?: string;
  };
  /** Category = text of the stream id before the first occurrence of this separator (Message DB: '-'). */
  categoryFromStreamId?: { separator: string };
  /** Version of each stream's first event; 1 when omitted (Message DB numbers positions from 0). */
  firstVersion?: 0 | 1;
  /** Correlation / causation read from metadata JSON keys when there is no column. */
  metadataKeys?: { correlationId?: string; causationId?: string };
  /**
   * A stream table joined for the stream's name and/or type (Eventuous: stream_name;
   * Marten: the aggregate type in mt_streams).
   */
  streamTable?: {
    schema?: string;
    table: string;
    /** Pairs [events column, stream table column] joined with equality. */
    on: Array<[string, string]>;
    /** Stream table column that holds the stream's display id; replaces columns.streamId. */
    nameColumn?: string;
    /** Stream table column that holds the stream type; used when columns.streamType is absent. */
    typeColumn?: string;
  };
  /** Extra equality filters on the events table (Marten/Emmett: is_archived = false). Values are parameters. */
  where?: Array<{ column: string; equals: string | number | boolean }>;
}

export type PresetName = PostgresPresetName;

export const PRESET_NAMES: readonly PresetName[] = POSTGRES_PRESET_NAMES;

/** Quotes an identifier for PostgreSQL: `"a""b"`. */
export function quoteIdent(name: string): string {
  if (name.length === 0) throw new Error('empty SQL identifier');
  if (name.includes('\u0000')) throw new Error('SQL identifier contains a NUL character');
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualifiedName(schema: string | undefined, table: string): string {
  return `${quoteIdent(schema ?? 'public')}.${quoteIdent(table)}`;
}

/** Column data types of the mapped tables, as found in information_schema. */
export interface MappingSchemaInfo {
  /** column name -> data_type / udt_name of the events table. */
  events: Map<string, ColumnType>;
  streams?: Map<string, ColumnType>;
}

export interface ColumnType {
  dataType: string;
  udtName: string;
}

export class MappingValidationError extends Error {
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(message);
    this.name = 'MappingValidationError';
  }
}

async function tableColumns(client: pg.Pool | pg.PoolClient, schema: string, table: string): Promise<Map<string, ColumnType> | null> {
  const result = await client.query<{ column_name: string; data_type: string; udt_name: string }>(
    `SELECT column_name, data_type, udt_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [schema, table],
  );
  if (result.rows.length === 0) return null;
  return new Map(result.rows.map((r) => [r.column_name, { dataType: r.data_type, udtName: r.udt_name }]));
}

/** What each role of a mapping can be read as; roles not listed accept any type (they are read as text). */
const ROLE_TYPES: Partial<Record<keyof PostgresEventMapping['columns'], { types: string[]; what: string }>> = {
  version: { types: INTEGER_TYPES, what: 'an integer type (smallint, integer, bigint, numeric)' },
  position: { types: INTEGER_TYPES, what: 'an integer type (smallint, integer, bigint, numeric)' },
  data: { types: PAYLOAD_TYPES, what: 'json, jsonb, bytea or text' },
  metadata: { types: PAYLOAD_TYPES, what: 'json, jsonb, bytea or text' },
  timestamp: { types: TIME_TYPES, what: 'timestamptz, timestamp, date or text' },
};

/** Role -> column type problems of a mapping: a version column that is text cannot be ordered as numbers. */
function typeProblems(schema: string, mapping: PostgresEventMapping, events: Map<string, ColumnType>): string[] {
  const problems: string[] = [];
  for (const [role, rule] of Object.entries(ROLE_TYPES)) {
    const column = mapping.columns[role as keyof PostgresEventMapping['columns']];
    const type = column ? events.get(column) : undefined;
    if (!column || !type || !rule) continue;
    if (!rule.types.includes(type.udtName)) {
      problems.push(`column ${schema}.${mapping.table}.${column} is ${type.dataType}: the ${role} column must be ${rule.what}`);
    }
  }
  for (const role of ['streamId', 'type'] as const) {
    const column = mapping.columns[role];
    // json has no equality operator: streams could not be grouped nor types filtered.
    if (events.get(column)?.udtName === 'json')
      problems.push(`column ${schema}.${mapping.table}.${column} is json: the ${role} column must be comparable (text, uuid, a number...)`);
  }
  return problems;
}

const INTEGER_WHAT = 'an integer type (smallint, integer, bigint or numeric)';
const TIMESTAMP_WHAT = 'a timestamp type (timestamptz or timestamp)';

/** The types a preset's key columns must have for its queries to hold: version arithmetic and ordering, the feed's position order, time filters. */
const PRESET_KEY_TYPES: Array<{ role: 'version' | 'position' | 'timestamp'; label: string; types: readonly string[]; what: string }> = [
  { role: 'version', label: 'the stream version', types: INTEGER_TYPES, what: INTEGER_WHAT },
  { role: 'position', label: 'the global position', types: INTEGER_TYPES, what: INTEGER_WHAT },
  { role: 'timestamp', label: 'the timestamp', types: ['timestamptz', 'timestamp'], what: TIMESTAMP_WHAT },
];

/**
 * Key columns of a preset's table whose types the preset cannot read, one sentence
 * each: "public.events.event_version is text; the classic preset needs an integer type ...".
 */
export function presetTypeProblems(
  preset: PresetName,
  schema: string,
  table: string,
  columns: PostgresEventMapping['columns'],
  types: Map<string, ColumnType>,
): string[] {
  const problems: string[] = [];
  for (const key of PRESET_KEY_TYPES) {
    const column = columns[key.role];
    const type = column ? types.get(column) : undefined;
    // A preset may document other types for a key column (Axon: ISO-8601 text timestamps).
    const expected = PRESET_KEY_TYPE_OVERRIDES[preset]?.[key.role] ?? key;
    if (!column || !type || expected.types.includes(type.udtName)) continue;
    problems.push(`${schema}.${table}.${column} is ${type.dataType}; the ${preset} preset needs ${expected.what} for ${key.label}`);
  }
  return problems;
}

/**
 * Checks a mapping against the live schema. Throws a MappingValidationError naming
 * every missing table and column; returns the column types otherwise.
 */
export async function validateMapping(pool: pg.Pool | pg.PoolClient, mapping: PostgresEventMapping): Promise<MappingSchemaInfo> {
  const schema = mapping.schema ?? 'public';
  const problems: string[] = [];
  const events = await tableColumns(pool, schema, mapping.table);
  if (!events) {
    problems.push(`table ${schema}.${mapping.table} does not exist (or is not visible to this user)`);
  } else {
    const wanted = new Set<string>(Object.values(mapping.columns).filter((c): c is string => typeof c === 'string'));
    for (const w of mapping.where ?? []) wanted.add(w.column);
    for (const [eventsColumn] of mapping.streamTable?.on ?? []) wanted.add(eventsColumn);
    for (const column of wanted) {
      if (!events.has(column)) problems.push(`column ${schema}.${mapping.table}.${column} does not exist`);
    }
    // A custom mapping is whatever someone picked: every role's type is checked. A preset's
    // key columns are checked too: a look-alike table with text versions would sort 1, 10, 2.
    if (mapping.preset === 'custom') problems.push(...typeProblems(schema, mapping, events));
    else problems.push(...presetTypeProblems(mapping.preset, schema, mapping.table, mapping.columns, events));
  }
  let streams: Map<string, ColumnType> | undefined;
  if (mapping.streamTable) {
    const st = mapping.streamTable;
    const stSchema = st.schema ?? schema;
    const found = await tableColumns(pool, stSchema, st.table);
    if (!found) {
      problems.push(`stream table ${stSchema}.${st.table} does not exist (or is not visible to this user)`);
    } else {
      streams = found;
      const wanted = new Set<string>(st.on.map(([, c]) => c));
      if (st.nameColumn) wanted.add(st.nameColumn);
      if (st.typeColumn) wanted.add(st.typeColumn);
      for (const column of wanted) {
        if (!found.has(column)) problems.push(`column ${stSchema}.${st.table}.${column} does not exist`);
      }
    }
  }
  if (problems.length > 0 || !events) {
    throw new MappingValidationError(`Mapping '${mapping.preset}' does not match the database: ${problems.join('; ')}`, problems);
  }
  return streams ? { events, streams } : { events };
}
