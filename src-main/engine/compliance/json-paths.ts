/**
 * The JSON paths of a personal-data map (`streamId`, `data.a.b`, `metadata.a`,
 * `state.a`) as SQL expressions and as reads/writes on parsed events.
 */

export const ERASED = '[erased]';

/** Keys are validated by the schema ([A-Za-z0-9_$-]); quotes are doubled anyway. */
const literal = (key: string) => `'${key.replace(/'/g, "''")}'`;

/** `data.customer.id` on column `event_data` → `event_data -> 'customer' ->> 'id'`. */
export function jsonText(column: string, keys: readonly string[]): string {
  if (keys.length === 0) return `${column}::text`;
  const head = keys
    .slice(0, -1)
    .map((k) => ` -> ${literal(k)}`)
    .join('');
  return `(${column}${head} ->> ${literal(keys[keys.length - 1]!)})`;
}

/** The SQL expression of an event path on the classic `events` table. */
export function eventPathSql(path: string): string {
  if (path === 'streamId') return 'aggregate_id';
  const [root, ...keys] = path.split('.');
  return jsonText(root === 'data' ? 'event_data' : 'metadata', keys);
}

/** The SQL expression of a snapshot path (`aggregateId`, `state.ownerId`). */
export function snapshotPathSql(path: string): string {
  if (path === 'aggregateId') return 'aggregate_id';
  const [, ...keys] = path.split('.');
  return jsonText('state', keys);
}

export function getAt(value: unknown, keys: readonly string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Sets a nested key in place; false when the path does not exist (nothing to erase there). */
export function setAt(value: unknown, keys: readonly string[], next: unknown): boolean {
  let current = value;
  for (const key of keys.slice(0, -1)) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return false;
    current = (current as Record<string, unknown>)[key];
  }
  const last = keys[keys.length - 1]!;
  if (typeof current !== 'object' || current === null || Array.isArray(current) || !(last in current)) return false;
  (current as Record<string, unknown>)[last] = next;
  return true;
}

/** Splits `data.a.b` into the part (`data`/`metadata`) and its keys. */
export function splitEventPath(path: string): { part: 'data' | 'metadata' | 'streamId'; keys: string[] } {
  if (path === 'streamId') return { part: 'streamId', keys: [] };
  const [root, ...keys] = path.split('.');
  return { part: root === 'metadata' ? 'metadata' : 'data', keys };
}

/** Escapes `%`, `_` and `\` for a LIKE pattern. */
export function likeContaining(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
