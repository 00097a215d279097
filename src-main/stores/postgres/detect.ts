import type pg from 'pg';
import { POSTGRES_PRESETS } from '../presets';
import { PRESET_NAMES, presetTypeProblems, type ColumnType, type PostgresEventMapping, type PresetName } from './mapping';

export interface PresetProposal {
  preset: PresetName;
  /** The preset's mapping, with the schema where its table was found. */
  mapping: PostgresEventMapping;
  /** 0..1: share of the preset's columns and companion tables found. */
  confidence: number;
  /** Every mapped column exists with a type the preset reads: the mapping opens as is (otherwise it is a starting point for a custom mapping). */
  usable: boolean;
  /** What was found, for the operator to judge. */
  evidence: string[];
  /** What the preset expects but was not found. */
  missing: string[];
  /** Why the mapping does not open as is (empty when usable): key columns of the wrong type, mapped columns missing. */
  reasons: string[];
}

interface Candidate {
  mapping: PostgresEventMapping;
  companionTables: readonly string[];
  /** Signature columns: the preset's for its main naming, none for other namings. */
  signature: readonly string[];
}

/** Candidate mappings of a preset in one schema (Axon: JPA and JDBC naming). */
function candidates(preset: PresetName, schemaName: string): Candidate[] {
  const record = POSTGRES_PRESETS[preset];
  const main = { mapping: record.mapping(schemaName), companionTables: record.detection.companionTables, signature: record.detection.signature };
  return [
    main,
    ...(record.detection.alternates ?? []).map((alt) => ({ mapping: alt.mapping(schemaName), companionTables: alt.companionTables, signature: [] })),
  ];
}

/** A preset whose key columns have types it cannot read is at most this good a match: shown, never proposed. */
const MISTYPED_CONFIDENCE = 0.4;

type SchemaMap = Map<string, Map<string, Map<string, ColumnType>>>; // schema -> table -> column -> type

async function readSchema(pool: pg.Pool | pg.PoolClient): Promise<SchemaMap> {
  const result = await pool.query<{ table_schema: string; table_name: string; column_name: string; data_type: string; udt_name: string }>(
    `SELECT table_schema, table_name, column_name, data_type, udt_name FROM information_schema.columns
     WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema NOT LIKE 'pg\\_%'`,
  );
  const map: SchemaMap = new Map();
  for (const r of result.rows) {
    let tables = map.get(r.table_schema);
    if (!tables) map.set(r.table_schema, (tables = new Map()));
    let cols = tables.get(r.table_name);
    if (!cols) tables.set(r.table_name, (cols = new Map()));
    cols.set(r.column_name, { dataType: r.data_type, udtName: r.udt_name });
  }
  return map;
}

function mappedColumns(mapping: PostgresEventMapping, signature: readonly string[]): string[] {
  const cols = new Set<string>(Object.values(mapping.columns).filter((c): c is string => typeof c === 'string'));
  for (const w of mapping.where ?? []) cols.add(w.column);
  for (const [ev] of mapping.streamTable?.on ?? []) cols.add(ev);
  for (const s of signature) cols.add(s);
  return [...cols];
}

/**
 * Proposes presets for the database behind `pool`, best first. A proposal needs
 * the preset's events table and at least half its columns; confidence weighs the
 * columns (80%) and the companion tables (20%); key columns of the wrong type
 * (text versions, positions, timestamps) are named and cap it at 40%. Usable
 * proposals come first.
 */
export async function detectPresets(pool: pg.Pool | pg.PoolClient): Promise<PresetProposal[]> {
  const schema = await readSchema(pool);
  const proposals: PresetProposal[] = [];
  for (const preset of PRESET_NAMES) {
    for (const [schemaName, tables] of schema) {
      for (const candidate of candidates(preset, schemaName)) {
        const proposal = propose(preset, schemaName, tables, candidate);
        if (proposal) proposals.push(proposal);
      }
    }
  }
  proposals.sort((a, b) => Number(b.usable) - Number(a.usable) || b.confidence - a.confidence || a.preset.localeCompare(b.preset));
  return proposals;
}

function propose(preset: PresetName, schemaName: string, tables: Map<string, Map<string, ColumnType>>, candidate: Candidate): PresetProposal | null {
  let mapping = candidate.mapping;
  const columns = tables.get(mapping.table);
  if (!columns) return null;
  const evidence: string[] = [];
  const missing: string[] = [];
  const wanted = mappedColumns(mapping, candidate.signature);
  const found = wanted.filter((c) => columns.has(c));
  let optionalMissing: string[] = [];
  // The classic table often has no global order column: still the classic preset, without a feed.
  if (POSTGRES_PRESETS[preset].detection.positionOptional && mapping.columns.position && !columns.has(mapping.columns.position)) {
    optionalMissing = [mapping.columns.position];
    const { position: _dropped, ...rest } = mapping.columns;
    mapping = { ...mapping, columns: rest };
  }
  const required = wanted.filter((c) => !optionalMissing.includes(c));
  const ratio = required.length === 0 ? 0 : found.length / required.length;
  if (ratio < 0.5) return null;
  evidence.push(`table ${schemaName}.${mapping.table} has columns ${found.join(', ')}`);
  for (const c of wanted) if (!columns.has(c)) missing.push(`column ${schemaName}.${mapping.table}.${c}`);
  if (optionalMissing.length) evidence.push(`no global position column (${optionalMissing.join(', ')}): stream browsing only, no global feed`);
  const companions = candidate.companionTables;
  let companionsFound = 0;
  for (const t of companions) {
    if (tables.has(t)) {
      companionsFound += 1;
      evidence.push(`companion table ${schemaName}.${t} present`);
    } else {
      missing.push(`table ${schemaName}.${t}`);
    }
  }
  if (mapping.streamTable) {
    const st = mapping.streamTable;
    const stCols = tables.get(st.table);
    const stWanted = [...st.on.map(([, c]) => c), ...(st.nameColumn ? [st.nameColumn] : []), ...(st.typeColumn ? [st.typeColumn] : [])];
    const stMissing = stWanted.filter((c) => !stCols?.has(c));
    if (!stCols || stMissing.length > 0) {
      // Without the stream table the join is impossible; Marten still works without it (no stream type).
      if (st.nameColumn) return null;
      const { streamTable: _st, ...rest } = mapping;
      mapping = rest;
      evidence.push(`stream table ${schemaName}.${st.table} unusable: stream types unavailable`);
    }
  }
  const columnScore = found.length / required.length;
  const companionScore = companions.length === 0 ? 1 : companionsFound / companions.length;
  const mistyped = presetTypeProblems(preset, schemaName, mapping.table, mapping.columns, columns);
  evidence.push(...mistyped);
  const score = Math.round((0.8 * Math.min(1, columnScore) + 0.2 * companionScore) * 100) / 100;
  const confidence = mistyped.length ? Math.min(score, MISTYPED_CONFIDENCE) : score;
  const mapped = new Set<string>(Object.values(mapping.columns).filter((c): c is string => typeof c === 'string'));
  for (const w of mapping.where ?? []) mapped.add(w.column);
  const reasons = [...mistyped, ...[...mapped].filter((c) => !columns.has(c)).map((c) => `column ${schemaName}.${mapping.table}.${c} does not exist`)];
  return { preset, mapping, confidence, usable: reasons.length === 0, evidence, missing, reasons };
}
