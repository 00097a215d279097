/**
 * A batch's changes as the shadow's writer sends them: the keys to delete, and the rows
 * to upsert grouped by the columns they carry (one statement per group), each group's
 * rows already JSON text. Pure, so a fold worker encodes its own changes and the main
 * process only forwards the text.
 */
import type { ModelRow, RowChanges } from './read-model';

export interface EncodedRowGroups {
  deleted: string[];
  /** Rows carrying the same columns, as a JSON array (jsonb_populate_recordset's input). */
  upserts: { columns: string[]; json: string; count: number }[];
}

/**
 * Groups a batch's changes by row shape. A row's key column is filled from its key when
 * the row leaves it out; a column the row leaves out is left to the column's DEFAULT.
 */
export function groupChanges(
  shape: { keyColumn: string; columns: readonly string[] },
  changes: RowChanges,
): { deleted: string[]; upserts: { columns: string[]; rows: ModelRow[] }[] } {
  const deleted: string[] = [];
  const byShape = new Map<string, { columns: string[]; rows: ModelRow[] }>();
  for (const [k, row] of changes) {
    if (row === null) {
      deleted.push(k);
      continue;
    }
    const full = { ...row, [shape.keyColumn]: row[shape.keyColumn] ?? k };
    const columns = shape.columns.filter((c) => Object.hasOwn(full, c) && full[c] !== undefined);
    const id = columns.join('\u0000');
    const group = byShape.get(id) ?? byShape.set(id, { columns, rows: [] }).get(id)!;
    group.rows.push(full);
  }
  return { deleted, upserts: [...byShape.values()] };
}

export function encodeRowGroups(shape: { keyColumn: string; columns: readonly string[] }, changes: RowChanges): EncodedRowGroups {
  const { deleted, upserts } = groupChanges(shape, changes);
  return { deleted, upserts: upserts.map((g) => ({ columns: g.columns, json: JSON.stringify(g.rows), count: g.rows.length })) };
}
