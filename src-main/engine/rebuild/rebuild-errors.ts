/**
 * What a failed rebuild says: a database error while writing rows becomes a
 * sentence naming the column, the table and the definition, and every failure is
 * classified as retryable (the same run may well succeed: a lost connection, a
 * deadlock) or not (it would fail the same way again: the advice is what to fix).
 */
import { ChronoError } from '../../../src-shared/errors';
import { DefinitionFailure } from './read-model';
import type { ModelRow } from './read-model';

/** A write of rows into a rebuild's table that PostgreSQL refused, with what is needed to name the column. */
export class RowWriteFailure extends Error {
  override readonly name = 'RowWriteFailure';
  constructor(
    override readonly cause: unknown,
    /** The table written (a shadow: `<model>__shadow_<id>`). */
    readonly table: string,
    readonly rows: readonly ModelRow[],
    /** Column name → PostgreSQL type (format_type). */
    readonly types: Readonly<Record<string, string>>,
  ) {
    super((cause as Error)?.message ?? String(cause));
  }
}

interface PgErrorFields {
  code?: string;
  column?: string;
  table?: string;
  constraint?: string;
  detail?: string;
  message?: string;
}

/** SQLSTATE classes of failures that a second run can get past unchanged. */
const RETRYABLE_STATES = /^(08|40|53|57P0[1-3]|55P03|58)/;
const RETRYABLE_NODE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

function modelOf(table: string): string {
  return table.replace(/__shadow_[a-z0-9]+$/, '');
}

/** The first row whose value in `column` is not null and whose text equals `value` (from PostgreSQL's message). */
function rowWithValue(rows: readonly ModelRow[], column: string, value: string | undefined): ModelRow | undefined {
  return rows.find(
    (row) =>
      row[column] !== null &&
      row[column] !== undefined &&
      (value === undefined || (typeof row[column] === 'object' ? JSON.stringify(row[column]) : String(row[column])) === value),
  );
}

/**
 * The column a data error is about: PostgreSQL names the type and usually the value
 * (`invalid input syntax for type integer: "abc"`) but not the column; the rows written
 * and the table's column types say which one it was.
 */
function columnOfDataError(failure: RowWriteFailure, message: string): { column: string; value?: string } | undefined {
  const typed = /for type ([\w ]+?)(?:: "(.*)")?$/.exec(message) ?? /out of range for type ([\w ]+)/.exec(message);
  const tooLong = /value too long for type (.+)$/.exec(message);
  const typeName = (tooLong?.[1] ?? typed?.[1] ?? '').trim();
  const value = typed?.[2];
  const candidates = Object.entries(failure.types).filter(
    ([, type]) => typeName !== '' && (type === typeName || type.startsWith(`${typeName}(`) || type.startsWith(typeName)),
  );
  for (const [column] of candidates) {
    if (tooLong) {
      const limit = Number(/\((\d+)\)/.exec(failure.types[column]!)?.[1] ?? Infinity);
      if (failure.rows.some((row) => typeof row[column] === 'string' && (row[column] as string).length > limit)) return { column };
    } else if (rowWithValue(failure.rows, column, value)) {
      return value !== undefined ? { column, value } : { column };
    }
  }
  return candidates.length === 1 ? { column: candidates[0]![0] } : undefined;
}

/** The sentence for a write PostgreSQL refused, and whether running it again could succeed. */
function explainWrite(failure: RowWriteFailure, definition: string): { message: string; retryable: boolean } {
  const pg = (failure.cause ?? {}) as PgErrorFields;
  const model = modelOf(failure.table);
  const code = pg.code ?? '';
  const by = `Definition ${definition}`;
  // Never the row's values: job errors are kept on disk and shown in every window, and a value may be personal data.
  const keyOf = (detail: string | undefined) => (detail ? /^Key \(([^)]*)\)/.exec(detail)?.[1] : undefined);
  const restart = `The live model is untouched; fix it and start a new rebuild (resuming this one would fail the same way).`;
  switch (code) {
    case '23502':
      return {
        message: `${by} wrote rows without a value for column ${pg.column ?? '?'} of ${model}, which is NOT NULL and has no default. Give the column a DEFAULT (ALTER TABLE ${model} ALTER COLUMN ${pg.column ?? '…'} SET DEFAULT …) or make the definition set it. ${restart}`,
        retryable: false,
      };
    case '23505':
      // The shadow's copy of a unique index is named <index>__s<id>: the operator knows the live one.
      return {
        message: `${by} wrote two rows of ${model} with the same ${pg.constraint ? `value for the unique constraint ${pg.constraint.replace(/__s[a-z0-9]+$/, '')}` : 'unique value'}${keyOf(pg.detail) ? ` (key ${keyOf(pg.detail)})` : ''}. Make the definition write distinct values, or drop that constraint. ${restart}`,
        retryable: false,
      };
    case '23503':
    case '23514':
      return {
        message: `${by} wrote a row of ${model} that breaks its constraint ${pg.constraint ?? ''}${keyOf(pg.detail) ? ` (key ${keyOf(pg.detail)})` : ''}. Make the definition respect it, or change the table. ${restart}`,
        retryable: false,
      };
    case '42703': {
      const column = /column "([^"]+)"/.exec(pg.message ?? '')?.[1] ?? '?';
      return {
        message: `${by} writes column ${column}, which ${model} does not have. Add the column to ${model} or remove it from the definition. ${restart}`,
        retryable: false,
      };
    }
    case '42501':
      return {
        message: `The connection's user may not write ${model} (or its shadow ${failure.table}): ${pg.message ?? 'permission denied'}. Grant it INSERT, UPDATE and DELETE on the schema's tables (or use a user that has them), then start the rebuild again.`,
        retryable: false,
      };
  }
  if (code.startsWith('22')) {
    const found = columnOfDataError(failure, pg.message ?? '');
    const column = found ? `column ${found.column} (${failure.types[found.column]})` : 'a column';
    const what = found
      ? found.value !== undefined
        ? ` (a ${found.value.length}-character value)`
        : ''
      : ` (${(pg.message ?? code).replace(/"[^"]*"/g, '"…"')})`;
    return {
      message: `${by} wrote a value PostgreSQL cannot store in ${column} of ${model}${what}. Make the definition write that column's type, or change the column's type. ${restart}`,
      retryable: false,
    };
  }
  return {
    message: `Writing rows of ${model} (definition ${definition}) failed: ${(pg.message ?? code).replace(/"[^"]*"/g, '"…"')}.`,
    retryable: RETRYABLE_STATES.test(code),
  };
}

/**
 * The error a failed rebuild job ends with. A retryable failure says to resume; one
 * that would recur (bad rows, a missing column, a definition that throws) says what to
 * fix and carries `details.retryable === false`, so nothing offers to resume it blindly.
 */
export function explainRebuildFailure(err: unknown, definition: string): unknown {
  if (err instanceof RowWriteFailure) {
    const { message, retryable } = explainWrite(err, definition);
    return new ChronoError(
      retryable ? 'unavailable' : 'invalid_input',
      retryable ? `${message} Resume the rebuild to go on from its last committed batch.` : message,
      { retryable, sqlstate: (err.cause as PgErrorFields)?.code },
    );
  }
  // A database error outside the row writes (e.g. a unique index built on the shadow after the load).
  const fields = err as PgErrorFields & { severity?: string };
  if (err instanceof Error && typeof fields.severity === 'string' && typeof fields.code === 'string' && /^(22|23|42)/.test(fields.code)) {
    return explainRebuildFailure(new RowWriteFailure(err, fields.table ?? 'the model', [], {}), definition);
  }
  if (err instanceof DefinitionFailure) return new ChronoError('definition_error', err.message, { retryable: false });
  if (err instanceof ChronoError) return err;
  const code = (err as { code?: string } | null)?.code;
  if (typeof code === 'string' && (RETRYABLE_NODE_CODES.has(code) || RETRYABLE_STATES.test(code))) {
    return new ChronoError(
      'unavailable',
      `The rebuild lost its database connection or hit a transient error (${(err as Error).message}). Resume it to go on from its last committed batch.`,
      { retryable: true },
    );
  }
  return err;
}
