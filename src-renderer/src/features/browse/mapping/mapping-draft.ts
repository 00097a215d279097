import type { CustomMapping, InspectedTable } from '../../../../../src-shared/schemas/browse';

export type Role = keyof CustomMapping['columns'];
export type Backend = 'postgres' | 'mongo';

export interface RoleSpec {
  role: Role;
  label: string;
  required: boolean;
  /** MongoDB mappings have no columns for these (metadata keys stand in). */
  postgresOnly?: boolean;
}

/** The roles of a mapping, in the order the form shows them. */
export const ROLES: readonly RoleSpec[] = [
  { role: 'streamId', label: 'Stream id', required: true },
  { role: 'version', label: 'Version', required: true },
  { role: 'type', label: 'Event type', required: true },
  { role: 'data', label: 'Data', required: true },
  { role: 'metadata', label: 'Metadata', required: false },
  { role: 'timestamp', label: 'Timestamp', required: false },
  { role: 'eventId', label: 'Event id', required: false },
  { role: 'position', label: 'Global position', required: false },
  { role: 'streamType', label: 'Stream type / category', required: false },
  { role: 'correlationId', label: 'Correlation id', required: false, postgresOnly: true },
  { role: 'causationId', label: 'Causation id', required: false, postgresOnly: true },
];

export function rolesFor(backend: Backend): RoleSpec[] {
  return ROLES.filter((r) => backend === 'postgres' || !r.postgresOnly);
}

/** Names each role usually goes by, best first; compared without case, `_` or `-`. */
const NAMES: Record<Role, string[]> = {
  streamId: [
    'stream_id',
    'aggregate_id',
    'stream_name',
    'aggregate_identifier',
    'entity_id',
    'entity_key',
    'aggregate_key',
    'stream',
    'aggregate',
    'entity',
    'subject',
  ],
  version: [
    'version',
    'stream_position',
    'event_version',
    'stream_version',
    'aggregate_version',
    'sequence_number',
    'revision',
    'rev',
    'seq',
    'sequence',
    'position',
  ],
  type: ['type', 'event_type', 'message_type', 'payload_type', 'kind', 'event_name', 'name'],
  data: ['data', 'payload', 'body', 'event_data', 'message_data', 'json_data', 'content', 'event'],
  metadata: ['metadata', 'meta', 'meta_data', 'headers', 'message_metadata', 'json_metadata', 'context'],
  timestamp: ['created_at', 'timestamp', 'time', 'created', 'occurred_at', 'happened_at', 'recorded_at', 'time_stamp', 'inserted_at', 'ts', 'at'],
  eventId: ['event_id', 'id', '_id', 'message_id', 'event_identifier', 'uuid'],
  position: ['global_position', 'position', 'global_index', 'seq_id', 'global_seq', 'gpos', 'global_sequence', 'sequence_id', 'offset', 'seq'],
  streamType: ['stream_type', 'aggregate_type', 'category', 'entity_type'],
  correlationId: ['correlation_id'],
  causationId: ['causation_id'],
};

/** When no usual name fits: a pattern on the normalised name. */
const PATTERNS: Partial<Record<Role, RegExp>> = {
  streamId: /(stream|aggregate|entity).*(id|key|name)$/,
  version: /(version|revision)$/,
  type: /type$/,
  data: /(data|payload|body)$/,
  metadata: /meta/,
  timestamp: /(time|stamp|date)$/,
  position: /(position|pos|index)$/,
};

/** Metadata keys that usually hold correlation and causation ids. */
const METADATA_KEYS = { correlationId: ['correlation_id', 'correlation', 'corr'], causationId: ['causation_id', 'causation'] };

const normalise = (name: string) => name.toLowerCase().replace(/[_\s-]/g, '');

/**
 * A first guess of which column plays which role, from the names alone: usual
 * names first for every role, then patterns; a column plays one role at most.
 */
export function guessColumns(columnNames: readonly string[], backend: Backend): Partial<Record<Role, string>> {
  const roles = rolesFor(backend).map((r) => r.role);
  // MongoDB metadata keys (`metadata.x`) are offered as metadata keys, not as columns to guess.
  const names = columnNames.filter((n) => backend === 'postgres' || !n.includes('.'));
  const used = new Set<string>();
  const guess: Partial<Record<Role, string>> = {};
  const take = (role: Role, name: string | undefined) => {
    if (name === undefined) return;
    guess[role] = name;
    used.add(name);
  };
  for (const role of roles) {
    for (const wanted of NAMES[role]) {
      const found = names.find((n) => !used.has(n) && normalise(n) === normalise(wanted));
      if (found) {
        take(role, found);
        break;
      }
    }
  }
  for (const role of roles) {
    const pattern = PATTERNS[role];
    if (guess[role] || !pattern) continue;
    take(
      role,
      names.find((n) => !used.has(n) && pattern.test(normalise(n))),
    );
  }
  return guess;
}

/** For MongoDB: `metadata.corr` seen in the sample suggests `corr` as the correlation key. */
export function guessMetadataKeys(columnNames: readonly string[], metadataColumn: string | undefined): { correlationId: string; causationId: string } {
  const keys = metadataColumn ? columnNames.filter((n) => n.startsWith(`${metadataColumn}.`)).map((n) => n.slice(metadataColumn.length + 1)) : [];
  const pick = (wanted: string[]) => wanted.map((w) => keys.find((k) => normalise(k) === normalise(w))).find((k) => k !== undefined) ?? '';
  return { correlationId: pick(METADATA_KEYS.correlationId), causationId: pick(METADATA_KEYS.causationId) };
}

export interface MappingDraft {
  /** Index into the inspected tables; -1 before one is picked. */
  tableIndex: number;
  columns: Partial<Record<Role, string>>;
  separator: string;
  correlationKey: string;
  causationKey: string;
  reason: string;
}

export const EMPTY_DRAFT: MappingDraft = { tableIndex: -1, columns: {}, separator: '', correlationKey: '', causationKey: '', reason: '' };

/** A draft for one table, every role guessed. */
export function draftForTable(tables: readonly InspectedTable[], tableIndex: number, backend: Backend, reason = ''): MappingDraft {
  const table = tables[tableIndex];
  if (!table) return { ...EMPTY_DRAFT, reason };
  const names = table.columns.map((c) => c.name);
  const columns = guessColumns(names, backend);
  const keys = guessMetadataKeys(names, columns.metadata);
  return { tableIndex, columns, separator: '', correlationKey: keys.correlationId, causationKey: keys.causationId, reason };
}

/** How many roles a table fills by guessing, the required ones weighing most. */
function score(table: InspectedTable, backend: Backend): number {
  const guess = guessColumns(
    table.columns.map((c) => c.name),
    backend,
  );
  return ROLES.reduce((sum, r) => sum + (guess[r.role] ? (r.required ? 10 : 1) : 0), 0);
}

/** The table that looks most like an event table, or -1 when there is none. */
export function likeliestTable(tables: readonly InspectedTable[], backend: Backend): number {
  let best = -1;
  let bestScore = 0;
  tables.forEach((table, i) => {
    const s = score(table, backend);
    if (s > bestScore || (s === bestScore && best >= 0 && (table.approximateRows ?? 0) > (tables[best]?.approximateRows ?? 0))) {
      best = i;
      bestScore = s;
    }
  });
  return best;
}

/** The draft of a mapping already confirmed, when its table is still there. */
export function draftFromMapping(tables: readonly InspectedTable[], mapping: CustomMapping): MappingDraft | undefined {
  // Collections have no schema; PostgreSQL tables default to public.
  const tableIndex = tables.findIndex((t) => t.name === mapping.table && (t.schema === undefined || t.schema === (mapping.schema ?? 'public')));
  if (tableIndex < 0) return undefined;
  return {
    tableIndex,
    columns: { ...mapping.columns },
    separator: mapping.categoryFromStreamId?.separator ?? '',
    correlationKey: mapping.metadataKeys?.correlationId ?? '',
    causationKey: mapping.metadataKeys?.causationId ?? '',
    reason: '',
  };
}

export function missingRequired(draft: MappingDraft): RoleSpec[] {
  return ROLES.filter((r) => r.required && !draft.columns[r.role]);
}

export function tableLabel(table: InspectedTable): string {
  return table.schema ? `${table.schema}.${table.name}` : table.name;
}

/** The `custom` input of stores.configure; empty fields are left out. */
export function toCustomMapping(draft: MappingDraft, table: InspectedTable, backend: Backend): CustomMapping {
  const columns = Object.fromEntries(
    rolesFor(backend)
      .map((r) => [r.role, draft.columns[r.role]?.trim()] as const)
      .filter(([, column]) => column),
  ) as CustomMapping['columns'];
  const metadataKeys = {
    ...(draft.correlationKey.trim() ? { correlationId: draft.correlationKey.trim() } : {}),
    ...(draft.causationKey.trim() ? { causationId: draft.causationKey.trim() } : {}),
  };
  return {
    ...(backend === 'postgres' && table.schema ? { schema: table.schema } : {}),
    table: table.name,
    columns,
    ...(Object.keys(metadataKeys).length ? { metadataKeys } : {}),
    ...(backend === 'postgres' && draft.separator ? { categoryFromStreamId: { separator: draft.separator } } : {}),
  };
}
