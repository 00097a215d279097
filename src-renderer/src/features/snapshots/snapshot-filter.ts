import type { Query, QueryInput } from '../../app/routes';
import type { SnapshotFilterInput } from '../../../../src-shared/schemas/snapshots';

/** The screen's filters as typed (text), kept in the address. */
export interface SnapshotFilterText {
  streamType: string;
  streamPrefix: string;
  /** A date or date-time: snapshots taken before it. */
  takenBefore: string;
  versionBelow: string;
  minSize: string;
  maxSize: string;
}

export const NO_FILTER: SnapshotFilterText = { streamType: '', streamPrefix: '', takenBefore: '', versionBelow: '', minSize: '', maxSize: '' };

const KEYS = Object.keys(NO_FILTER) as (keyof SnapshotFilterText)[];

export function filterFromQuery(query: Query): SnapshotFilterText {
  return Object.fromEntries(KEYS.map((k) => [k, query[k] ?? ''])) as unknown as SnapshotFilterText;
}

export function filterToQuery(filter: SnapshotFilterText): QueryInput {
  return Object.fromEntries(KEYS.map((k) => [k, filter[k].trim() === '' ? undefined : filter[k].trim()]));
}

const wholeNumber = (text: string): number | undefined => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined);

/** The filter the operations take; fields that do not parse are reported in `problems` and left out. */
export function filterInput(text: SnapshotFilterText): { filter: SnapshotFilterInput; problems: string[] } {
  const filter: SnapshotFilterInput = {};
  const problems: string[] = [];
  if (text.streamType.trim()) filter.streamType = text.streamType.trim();
  if (text.streamPrefix.trim()) filter.streamPrefix = text.streamPrefix.trim();
  if (text.takenBefore.trim()) {
    const t = Date.parse(text.takenBefore.trim());
    if (Number.isNaN(t)) problems.push('Taken before: enter a date such as 2026-01-31 or 2026-01-31T12:00:00Z.');
    else filter.takenBefore = new Date(t).toISOString();
  }
  const numbers: [keyof SnapshotFilterText, 'versionBelow' | 'minSizeBytes' | 'maxSizeBytes', string][] = [
    ['versionBelow', 'versionBelow', 'Version below'],
    ['minSize', 'minSizeBytes', 'Min size'],
    ['maxSize', 'maxSizeBytes', 'Max size'],
  ];
  for (const [from, to, label] of numbers) {
    if (!text[from].trim()) continue;
    const n = wholeNumber(text[from]);
    if (n === undefined) problems.push(`${label}: enter a whole number.`);
    else filter[to] = n;
  }
  return { filter, problems };
}

export function isFiltered(filter: SnapshotFilterInput): boolean {
  return Object.keys(filter).length > 0;
}
