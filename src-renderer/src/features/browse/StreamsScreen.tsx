import { useEffect, useMemo, useState } from 'react';
import { useActiveConnection } from '../../app/active-connection';
import { useQueryState } from '../../app/routes';
import { useOperation } from '../../client/operation-hooks';
import { Button } from '../../ui/Button';
import { Time, timeHeader } from '../../ui/Time';
import { TextField } from '../../ui/inputs';
import { Panel } from '../../ui/Panel';
import { useDebounced } from '../../ui/use-debounced';
import { LoadMore, VirtualTable } from '../../ui/VirtualTable';
import { streamHref } from './browse-routes';
import { DetectionPanel } from './DetectionPanel';
import { IndexAdvice } from './IndexAdvice';
import { StaleBadge, StoreProblem } from './StoreProblem';
import { useKnownCategories } from './use-known-categories';
import {
  DEFAULT_SORT,
  NO_FILTER,
  resolveCategory,
  sortStreams,
  viewFromQuery,
  viewToQuery,
  type SortKey,
  type StreamRow,
  type StreamSort,
} from './stream-list-view';
import { needsDetection, useStreamPages } from './use-browse';
import './browse.css';

const ROW_HEIGHT = 34;

export function StreamsScreen() {
  const { active } = useActiveConnection();
  const [filter, setFilter] = useQueryState(viewFromQuery, viewToQuery);
  const [changingMapping, setChangingMapping] = useState(false);
  // One query when typing pauses, not one per keystroke.
  const settled = useDebounced(filter, 300);
  const [seenRows, setSeenRows] = useState<readonly StreamRow[]>([]);
  const knownCategories = useKnownCategories(active?.id, seenRows);
  const category = resolveCategory(settled.category, knownCategories);
  const input = active
    ? {
        connectionId: active.id,
        ...(category ? { category } : {}),
        ...(settled.idPrefix.trim() ? { idPrefix: settled.idPrefix.trim() } : {}),
        ...(settled.search.trim() ? { search: settled.search.trim() } : {}),
      }
    : undefined;
  const pages = useStreamPages(input);
  const loaded = useMemo(() => pages.data?.pages.flatMap((page) => page.streams) ?? [], [pages.data]);
  const streams = useMemo(() => sortStreams(loaded, filter.sort), [loaded, filter.sort]);
  // Rows loaded without a category filter add theirs to the pick list.
  useEffect(() => {
    if (!settled.category && loaded.length > 0) setSeenRows(loaded);
  }, [settled.category, loaded]);
  const advice = pages.data?.pages[0]?.advice ?? [];
  const stoppedAfterMs = pages.data?.pages[0]?.stoppedAfterMs;
  const filtered = filter.category !== '' || filter.idPrefix !== '' || filter.search !== '';
  // Unfiltered, the store's exact stream count (where it could count within its budget) replaces "200+".
  const figures = useOperation(
    'stats.store',
    { connectionId: active?.id ?? '' },
    { enabled: active !== undefined && !filtered, retry: false, staleTime: 30_000 },
  );
  const exactTotal = !filtered && figures.data?.streams?.exact ? figures.data.streams.count : undefined;
  const clearFilters = () => setFilter({ ...NO_FILTER, sort: filter.sort }, 'push');

  if (!active || needsDetection(pages.error)) {
    return <StoreProblem connection={active} error={pages.error} title="Could not list the streams" />;
  }
  // A failed re-read keeps the rows of the last good one: shown, but marked as possibly out of date.
  const stale = pages.error !== null && pages.data !== undefined;

  return (
    <div className="browse" data-testid="streams-screen">
      <div className="browse-filters streams-filters" role="search">
        <TextField
          label="Category"
          value={filter.category}
          placeholder="e.g. Order"
          hint={knownCategories.length ? 'Pick one, or type it in any case' : undefined}
          suggestions={knownCategories}
          testId="streams-filter-category"
          onChange={(category) => setFilter({ ...filter, category })}
        />
        <TextField
          label="Stream id prefix"
          value={filter.idPrefix}
          placeholder="e.g. order-"
          testId="streams-filter-prefix"
          onChange={(idPrefix) => setFilter({ ...filter, idPrefix })}
        />
        <TextField
          label="Search"
          value={filter.search}
          placeholder="part of a stream id"
          testId="streams-filter-search"
          onChange={(search) => setFilter({ ...filter, search })}
        />
      </div>
      <StoreProblem
        connection={active}
        error={pages.error}
        title="Could not list the streams"
        stale={stale}
        onRetry={() => void pages.refetch()}
        retrying={pages.isRefetching}
      />
      {advice.length > 0 && <IndexAdvice advice={advice} testId="streams-advice" />}
      {changingMapping && <DetectionPanel connectionId={active.id} connectionName={active.name} kind={active.kind} onClose={() => setChangingMapping(false)} />}
      <Panel
        title={
          <>
            {`Streams${pages.data ? ` (${streamCount(streams.length, pages.hasNextPage, exactTotal)})` : ''}${filter.sort.key !== DEFAULT_SORT.key && pages.hasNextPage ? ', loaded ones sorted' : ''}`}
            {stale && <StaleBadge />}
          </>
        }
        actions={
          <>
            {filtered && (
              <Button size="sm" variant="ghost" onClick={clearFilters}>
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
        className={stale ? 'browse__panel browse__panel--stale' : 'browse__panel'}
        testId="streams-panel"
        flush
      >
        <StreamsTable
          streams={streams}
          sort={filter.sort}
          onSort={(sort) => setFilter({ ...filter, sort }, 'push')}
          loading={pages.isPending}
          hasMore={pages.hasNextPage}
          loadingMore={pages.isFetchingNextPage}
          onLoadMore={() => void pages.fetchNextPage()}
          emptyMessage={
            // Under an error the list is empty because nothing was read: the alert above says why.
            pages.error
              ? null
              : stoppedAfterMs !== undefined
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

interface StreamsTableProps {
  streams: readonly StreamRow[];
  sort: StreamSort;
  onSort: (sort: StreamSort) => void;
  loading: boolean;
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  /** Shown when nothing was found; null when nothing could be read (an error is shown instead). */
  emptyMessage: string | null;
}

/** The next page loads as the end comes into view. */
function StreamsTable({ streams, sort, onSort, loading, hasMore, loadingMore, onLoadMore, emptyMessage }: StreamsTableProps) {
  return (
    <VirtualTable
      rows={streams}
      rowKey={(stream) => stream.streamId}
      rowHeight={ROW_HEIGHT}
      testId="streams-table"
      headClassName="streams-grid"
      head={
        <>
          <SortHeader label="Stream id" column="id" sort={sort} onSort={onSort} />
          <SortHeader label="Category" column="category" sort={sort} onSort={onSort} />
          <SortHeader label="Events" column="events" sort={sort} onSort={onSort} numeric />
          <SortHeader label="Last version" column="version" sort={sort} onSort={onSort} numeric />
          <SortHeader label={timeHeader('Last activity')} column="activity" sort={sort} onSort={onSort} />
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
            {stream.lastActivity ? <Time iso={stream.lastActivity} compact /> : <span className="muted">—</span>}
          </span>
        </a>
      )}
    />
  );
}

/** A column header that sorts the loaded rows: first click ascending (counts and dates descending), the next reverses. */
function SortHeader({
  label,
  column,
  sort,
  onSort,
  numeric = false,
}: {
  label: string;
  column: SortKey;
  sort: StreamSort;
  onSort: (sort: StreamSort) => void;
  numeric?: boolean;
}) {
  const active = sort.key === column;
  const firstDescending = numeric || column === 'activity';
  return (
    <span role="columnheader" className={numeric ? 'num' : undefined} aria-sort={active ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
      <button
        type="button"
        className="sort-header"
        onClick={() => onSort({ key: column, descending: active ? !sort.descending : firstDescending })}
        data-testid={`streams-sort-${column}`}
      >
        {label}
        {active && <span aria-hidden="true">{sort.descending ? ' ↓' : ' ↑'}</span>}
      </button>
    </span>
  );
}

/** "200+" while more pages remain, "1,234" once the total is known (counted, or all loaded); "200 of 1,234" when some are loaded. */
function streamCount(loaded: number, more: boolean, exactTotal: number | undefined): string {
  if (exactTotal === undefined || (!more && exactTotal === loaded)) return `${loaded.toLocaleString('en-US')}${more ? '+' : ''}`;
  return more ? `${loaded.toLocaleString('en-US')} of ${exactTotal.toLocaleString('en-US')}` : loaded.toLocaleString('en-US');
}
