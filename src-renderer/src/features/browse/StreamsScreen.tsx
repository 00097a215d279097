import { useMemo, useState } from 'react';
import { useActiveConnection } from '../../app/active-connection';
import { useQueryState, type Query, type QueryInput } from '../../app/routes';
import { Button } from '../../ui/Button';
import { formatTimestamp } from '../../ui/format';
import { TextField } from '../../ui/inputs';
import { Panel } from '../../ui/Panel';
import { useDebounced } from '../../ui/use-debounced';
import { LoadMore, VirtualTable } from '../../ui/VirtualTable';
import { streamHref } from './browse-routes';
import { DetectionPanel } from './DetectionPanel';
import { IndexAdvice } from './IndexAdvice';
import { StoreProblem } from './StoreProblem';
import { needsDetection, useStreamPages } from './use-browse';
import './browse.css';

const ROW_HEIGHT = 34;

interface StreamsFilter {
  category: string;
  idPrefix: string;
  search: string;
}

const NO_FILTER: StreamsFilter = { category: '', idPrefix: '', search: '' };

/** Kept in the address: `#/streams?category=…&prefix=…&search=…`. */
const filterFromQuery = (query: Query): StreamsFilter => ({ category: query.category ?? '', idPrefix: query.prefix ?? '', search: query.search ?? '' });
const filterToQuery = (filter: StreamsFilter): QueryInput => ({ category: filter.category, prefix: filter.idPrefix, search: filter.search });

export function StreamsScreen() {
  const { active } = useActiveConnection();
  const [filter, setFilter] = useQueryState(filterFromQuery, filterToQuery);
  const [changingMapping, setChangingMapping] = useState(false);
  // One query when typing pauses, not one per keystroke.
  const settled = useDebounced(filter, 300);
  const input = active
    ? {
        connectionId: active.id,
        ...(settled.category.trim() ? { category: settled.category.trim() } : {}),
        ...(settled.idPrefix.trim() ? { idPrefix: settled.idPrefix.trim() } : {}),
        ...(settled.search.trim() ? { search: settled.search.trim() } : {}),
      }
    : undefined;
  const pages = useStreamPages(input);
  const streams = useMemo(() => pages.data?.pages.flatMap((page) => page.streams) ?? [], [pages.data]);
  const advice = pages.data?.pages[0]?.advice ?? [];
  const stoppedAfterMs = pages.data?.pages[0]?.stoppedAfterMs;
  const filtered = filter.category !== '' || filter.idPrefix !== '' || filter.search !== '';

  if (!active || needsDetection(pages.error)) {
    return <StoreProblem connection={active} error={pages.error} title="Could not list the streams" />;
  }

  return (
    <div className="browse" data-testid="streams-screen">
      <div className="browse-filters streams-filters" role="search">
        <TextField label="Category" value={filter.category} placeholder="e.g. Order" testId="streams-filter-category" onChange={(category) => setFilter({ ...filter, category })} />
        <TextField label="Stream id prefix" value={filter.idPrefix} placeholder="e.g. order-" testId="streams-filter-prefix" onChange={(idPrefix) => setFilter({ ...filter, idPrefix })} />
        <TextField label="Search" value={filter.search} placeholder="part of a stream id" testId="streams-filter-search" onChange={(search) => setFilter({ ...filter, search })} />
      </div>
      <StoreProblem connection={active} error={pages.error} title="Could not list the streams" />
      {advice.length > 0 && <IndexAdvice advice={advice} testId="streams-advice" />}
      {changingMapping && <DetectionPanel connectionId={active.id} connectionName={active.name} kind={active.kind} onClose={() => setChangingMapping(false)} />}
      <Panel
        title={`Streams${pages.data ? ` (${streams.length.toLocaleString('en-US')}${pages.hasNextPage ? '+' : ''})` : ''}`}
        actions={
          <>
            {filtered && (
              <Button size="sm" variant="ghost" onClick={() => setFilter(NO_FILTER)}>
                Clear filters
              </Button>
            )}
            {!changingMapping && (
              <Button size="sm" variant="ghost" onClick={() => setChangingMapping(true)} data-testid="change-mapping">
                Change mapping…
              </Button>
            )}
          </>
        }
        className="browse__panel"
        flush
      >
        <StreamsTable
          streams={streams}
          loading={pages.isPending}
          hasMore={pages.hasNextPage}
          loadingMore={pages.isFetchingNextPage}
          onLoadMore={() => void pages.fetchNextPage()}
          emptyMessage={
            stoppedAfterMs !== undefined
              ? `Stopped after ${stoppedAfterMs / 1000} s of scanning without an index: create the index above to list this category.`
              : filtered
                ? 'No stream matches these filters.'
                : 'This store has no streams yet.'
          }
        />
      </Panel>
    </div>
  );
}

interface StreamRow {
  streamId: string;
  category: string | null;
  eventCount: number;
  lastVersion: number;
  lastActivity: string | null;
}

interface StreamsTableProps {
  streams: StreamRow[];
  loading: boolean;
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  emptyMessage: string;
}

/** The next page loads as the end comes into view. */
function StreamsTable({ streams, loading, hasMore, loadingMore, onLoadMore, emptyMessage }: StreamsTableProps) {
  return (
    <VirtualTable
      rows={streams}
      rowKey={(stream) => stream.streamId}
      rowHeight={ROW_HEIGHT}
      testId="streams-table"
      headClassName="streams-grid"
      head={
        <>
          <span role="columnheader">Stream id</span>
          <span role="columnheader">Category</span>
          <span role="columnheader" className="num">Events</span>
          <span role="columnheader" className="num">Last version</span>
          <span role="columnheader">Last activity</span>
        </>
      }
      loading={loading}
      emptyMessage={emptyMessage}
      onEndReached={hasMore && !loadingMore ? onLoadMore : undefined}
      footer={<LoadMore show={hasMore} busy={loadingMore} onClick={onLoadMore} label="Load more streams" testId="streams-load-more" />}
      renderRow={(stream, { style }) => (
        <a
          href={streamHref(stream.streamId)}
          className="vtable__row streams-grid"
          role="row"
          style={style}
          data-testid="stream-row"
          data-stream-id={stream.streamId}
          data-category={stream.category ?? ''}
        >
          <span role="cell" className="mono clip" title={stream.streamId}>
            {stream.streamId}
          </span>
          <span role="cell" className="clip">
            {stream.category ?? <span className="muted">—</span>}
          </span>
          <span role="cell" className="num">
            {stream.eventCount.toLocaleString('en-US')}
          </span>
          <span role="cell" className="num">
            {stream.lastVersion}
          </span>
          <span role="cell" className="nowrap">
            {stream.lastActivity ? formatTimestamp(stream.lastActivity) : <span className="muted">—</span>}
          </span>
        </a>
      )}
    />
  );
}
