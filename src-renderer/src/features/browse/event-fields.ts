import type { StoredEvent } from '../../../../src-shared/schemas/browse';

/** Who caused the event, when the writer recorded it as `metadata.userId`. */
export function userOf(event: StoredEvent): string | undefined {
  const metadata = event.metadata;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const user = (metadata as Record<string, unknown>).userId;
  return typeof user === 'string' || typeof user === 'number' ? String(user) : undefined;
}

/** Events per type, most frequent first. */
export function countTypes(events: readonly StoredEvent[]): [type: string, count: number][] {
  const counts = new Map<string, number>();
  for (const event of events) counts.set(event.type, (counts.get(event.type) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** `"A, B,,A"` → `["A", "B"]`. */
export function parseTypes(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}
