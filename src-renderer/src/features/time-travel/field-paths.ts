/** How many array items are offered (`lines.0…`, `lines.1…`): enough to show the shape. */
const ITEMS_PER_ARRAY = 3;

/**
 * The dotted paths into a state, to suggest as field-history paths: every field, nested objects and
 * arrays too (`customer`, `customer.email`, `lines`, `lines.0.quantity`), in the state's own order.
 * Nothing when the state is not an object (no state yet, or a scalar).
 */
export function fieldPaths(state: unknown, limit = 200): string[] {
  const paths: string[] = [];
  const walk = (value: unknown, prefix: string) => {
    if (paths.length >= limit || value === null || typeof value !== 'object') return;
    const entries: [string, unknown][] = Array.isArray(value)
      ? value.slice(0, ITEMS_PER_ARRAY).map((item, i) => [String(i), item])
      : Object.entries(value as Record<string, unknown>);
    for (const [key, child] of entries) {
      if (paths.length >= limit) return;
      const path = prefix ? `${prefix}.${key}` : key;
      paths.push(path);
      walk(child, path);
    }
  };
  walk(state, '');
  return paths;
}

/** The path to suggest first: a top-level field that is a plain value, else the first path. */
export function firstScalarPath(state: unknown): string | undefined {
  if (state === null || typeof state !== 'object' || Array.isArray(state)) return undefined;
  const scalar = Object.entries(state as Record<string, unknown>).find(([, value]) => value === null || typeof value !== 'object');
  return scalar?.[0] ?? fieldPaths(state, 1)[0];
}
