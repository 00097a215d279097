/**
 * Whether a table's triggers refuse updates, read from the catalog. A redaction's
 * dry run must not probe with an UPDATE (it would take a writer's lock on the live
 * events table, fire triggers, and write on a read-only profile), so it reads the
 * enabled UPDATE triggers' function bodies and looks for an exception they raise.
 */
import type pg from 'pg';

export interface RaisingTrigger {
  trigger: string;
  /** The message the function raises, when it is a literal. */
  message: string | undefined;
}

/** A RAISE that aborts: EXCEPTION, or no level at all (EXCEPTION is the default). */
const RAISES = /\bRAISE\b(?!\s+(?:NOTICE|WARNING|INFO|LOG|DEBUG)\b)/i;
const RAISED_LITERAL = /\bRAISE\s+(?:EXCEPTION\s+)?'((?:[^']|'')*)'/i;

/** What a trigger function's body raises: undefined when it raises nothing that aborts. */
export function raisedBy(source: string): { message: string | undefined } | undefined {
  if (!RAISES.test(source)) return undefined;
  const literal = RAISED_LITERAL.exec(source)?.[1];
  return { message: literal?.replace(/''/g, "'") };
}

/** The enabled, user-defined UPDATE triggers of `table` (in the search path) whose function raises an exception. */
export async function raisingUpdateTriggers(pool: Pick<pg.Pool, 'query'>, table: string): Promise<RaisingTrigger[]> {
  const { rows } = await pool.query<{ tgname: string; source: string }>(
    `SELECT t.tgname, p.prosrc AS source FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
      WHERE t.tgrelid = to_regclass($1) AND NOT t.tgisinternal AND t.tgenabled <> 'D' AND (t.tgtype & 16) <> 0
      ORDER BY t.tgname`,
    [table],
  );
  return rows.flatMap((r) => {
    const raised = raisedBy(r.source);
    return raised ? [{ trigger: r.tgname, message: raised.message }] : [];
  });
}
