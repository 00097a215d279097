/**
 * Structural diff of two JSON values. Objects are compared key by key (keys in
 * sorted order, so the result is stable whatever the insertion order), arrays by
 * index. A key holding `null` is present: `null` vs a missing key is `added` /
 * `removed`, not `changed`. A change of kind (object ↔ array ↔ scalar) is one
 * `changed` entry at that path, not a list of its leaves.
 */

export type DiffPath = (string | number)[];

export interface DiffEntry {
  path: DiffPath;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

type Kind = 'object' | 'array' | 'scalar';

function kindOf(value: unknown): Kind {
  if (Array.isArray(value)) return 'array';
  if (value !== null && typeof value === 'object') return 'object';
  return 'scalar';
}

function sameScalar(a: unknown, b: unknown): boolean {
  return Object.is(a, b) || (a === 0 && b === 0);
}

function walk(before: unknown, after: unknown, path: DiffPath, out: DiffEntry[]): void {
  const kb = kindOf(before);
  const ka = kindOf(after);
  if (kb !== ka) {
    out.push({ path: [...path], kind: 'changed', before, after });
    return;
  }
  if (kb === 'scalar') {
    if (!sameScalar(before, after)) out.push({ path: [...path], kind: 'changed', before, after });
    return;
  }
  if (kb === 'array') {
    const a = before as unknown[];
    const b = after as unknown[];
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (i >= b.length) out.push({ path: [...path, i], kind: 'removed', before: a[i] });
      else if (i >= a.length) out.push({ path: [...path, i], kind: 'added', after: b[i] });
      else walk(a[i], b[i], [...path, i], out);
    }
    return;
  }
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const key of keys) {
    const inA = Object.prototype.hasOwnProperty.call(a, key) && a[key] !== undefined;
    const inB = Object.prototype.hasOwnProperty.call(b, key) && b[key] !== undefined;
    if (inA && !inB) out.push({ path: [...path, key], kind: 'removed', before: a[key] });
    else if (!inA && inB) out.push({ path: [...path, key], kind: 'added', after: b[key] });
    else if (inA && inB) walk(a[key], b[key], [...path, key], out);
  }
}

/** The differences from `before` to `after`; empty when they are structurally equal. */
export function diff(before: unknown, after: unknown): DiffEntry[] {
  const out: DiffEntry[] = [];
  if (before === undefined && after === undefined) return out;
  if (before === undefined) return [{ path: [], kind: 'added', after }];
  if (after === undefined) return [{ path: [], kind: 'removed', before }];
  walk(before, after, [], out);
  return out;
}

/** The value at a path, or undefined when any step is missing. */
export function valueAt(value: unknown, path: DiffPath): unknown {
  let current: unknown = value;
  for (const step of path) {
    if (current === null || typeof current !== 'object') return undefined;
    if (Array.isArray(current)) {
      if (typeof step !== 'number') return undefined;
      current = current[step];
    } else {
      if (!Object.prototype.hasOwnProperty.call(current, String(step))) return undefined;
      current = (current as Record<string, unknown>)[String(step)];
    }
  }
  return current;
}

/** Whether `path` equals `prefix` or lies under it (`['a']` covers `['a', 'b', 0]`). */
export function pathStartsWith(path: DiffPath, prefix: DiffPath): boolean {
  if (prefix.length > path.length) return false;
  return prefix.every((step, i) => String(step) === String(path[i]));
}

/** `a.b[0].c` style rendering of a path, for messages. */
export function formatPath(path: DiffPath): string {
  if (path.length === 0) return '(root)';
  return path
    .map((step, i) => (typeof step === 'number' ? `[${step}]` : /^[A-Za-z_$][\w$]*$/.test(step) ? (i === 0 ? step : `.${step}`) : `[${JSON.stringify(step)}]`))
    .join('');
}

/** Parses `a.b[0].c` / `a.b.0.c` into a path; numeric segments become numbers. */
export function parsePath(text: string): DiffPath {
  const out: DiffPath = [];
  const re = /\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|([^.[\]]+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    if (m[1] !== undefined) out.push(Number(m[1]));
    else if (m[2] !== undefined) out.push(JSON.parse(`"${m[2]}"`) as string);
    else if (m[3] !== undefined) out.push(/^\d+$/.test(m[3]) ? Number(m[3]) : m[3]);
  }
  return out;
}
