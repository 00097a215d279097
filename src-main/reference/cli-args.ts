import { parseArgs } from 'node:util';

/** Reads `--name value` flags, with environment variables as fallbacks. */
export function readFlags<K extends string>(argv: string[], names: readonly K[]): Partial<Record<K, string>> {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(names.map((n) => [n, { type: 'string' as const }])),
    allowPositionals: false,
    strict: true,
  });
  return values as Partial<Record<K, string>>;
}

export function integerFlag(value: string | undefined, name: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new Error(`--${name} is required`);
    return fallback;
  }
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer (got ${value})`);
  return n;
}
