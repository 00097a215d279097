import type { Query, QueryInput } from '../../app/routes';

export interface StreamRow {
  streamId: string;
  category: string | null;
  eventCount: number;
  lastVersion: number;
  lastActivity: string | null;
}

export type SortKey = 'id' | 'category' | 'events' | 'version' | 'activity';
export interface StreamSort {
  key: SortKey;
  descending: boolean;
}

/** The store's own order: by stream id, as the pages arrive. */
export const DEFAULT_SORT: StreamSort = { key: 'id', descending: false };
const SORT_KEYS: readonly SortKey[] = ['id', 'category', 'events', 'version', 'activity'];

export interface StreamsView {
  category: string;
  idPrefix: string;
  search: string;
  sort: StreamSort;
}

export const NO_FILTER: StreamsView = { category: '', idPrefix: '', search: '', sort: DEFAULT_SORT };

/** Kept in the address: `#/streams?category=…&prefix=…&search=…&sort=events-desc`. */
export function viewFromQuery(query: Query): StreamsView {
  const [key, direction] = (query.sort ?? '').split('-');
  const sort = SORT_KEYS.find((known) => known === key);
  return {
    category: query.category ?? '',
    idPrefix: query.prefix ?? '',
    search: query.search ?? '',
    sort: sort ? { key: sort, descending: direction === 'desc' } : DEFAULT_SORT,
  };
}

export function viewToQuery(view: StreamsView): QueryInput {
  const sorted = view.sort.key !== DEFAULT_SORT.key || view.sort.descending !== DEFAULT_SORT.descending;
  return {
    category: view.category,
    prefix: view.idPrefix,
    search: view.search,
    sort: sorted ? `${view.sort.key}-${view.sort.descending ? 'desc' : 'asc'}` : undefined,
  };
}

/** Categories are stored with their case; what the user typed is matched to a known one regardless of case. */
export function resolveCategory(typed: string, known: readonly string[]): string {
  const wanted = typed.trim();
  return known.find((category) => category.toLowerCase() === wanted.toLowerCase()) ?? wanted;
}

const VALUE_OF: Record<SortKey, (row: StreamRow) => string | number> = {
  id: (row) => row.streamId,
  category: (row) => row.category ?? '',
  events: (row) => row.eventCount,
  version: (row) => row.lastVersion,
  activity: (row) => row.lastActivity ?? '',
};

/** The loaded rows in the chosen order; ties keep the store's order. */
export function sortStreams(rows: readonly StreamRow[], sort: StreamSort): readonly StreamRow[] {
  if (sort.key === DEFAULT_SORT.key && !sort.descending) return rows;
  const valueOf = VALUE_OF[sort.key];
  const sign = sort.descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = valueOf(a);
    const y = valueOf(b);
    return (x < y ? -1 : x > y ? 1 : 0) * sign;
  });
}
