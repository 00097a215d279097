export interface FeedFiltersShown {
  afterPosition?: string | undefined;
  eventTypes?: string[] | undefined;
  category?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  correlationId?: string | undefined;
  causationId?: string | undefined;
  field?: { in: 'data' | 'metadata'; path: string[]; op: 'equals' | 'contains'; value: string } | undefined;
}

/** The filters in words, e.g. `types OrderPlaced, data.currency equals "EUR"`, for the export panel and the audit log's target. */
export function describeFeedFilters(filters: FeedFiltersShown): string[] {
  const parts: string[] = [];
  if (filters.eventTypes?.length) parts.push(`types ${filters.eventTypes.join(', ')}`);
  if (filters.category) parts.push(`category ${filters.category}`);
  if (filters.from) parts.push(`from ${filters.from}`);
  if (filters.to) parts.push(`to ${filters.to}`);
  if (filters.correlationId) parts.push(`correlation ${filters.correlationId}`);
  if (filters.causationId) parts.push(`causation ${filters.causationId}`);
  if (filters.field) parts.push(`${filters.field.in}.${filters.field.path.join('.')} ${filters.field.op} "${filters.field.value}"`);
  if (filters.afterPosition !== undefined) parts.push(`positions after ${filters.afterPosition}`);
  return parts;
}

/** What an export is recorded against in the audit log: the connection and the stream, or the feed with its filters. */
export function exportTarget(connectionId: string, source: { kind: 'stream'; streamId: string } | ({ kind: 'feed' } & FeedFiltersShown)): string {
  if (source.kind === 'stream') return `connection:${connectionId} stream:${source.streamId}`;
  const parts = describeFeedFilters(source);
  return `connection:${connectionId} feed:${parts.length ? parts.join('; ') : 'all events'}`;
}
