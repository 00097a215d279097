import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useActiveConnection } from '../../app/active-connection';
import { Button } from '../../ui/Button';
import { formatTimestamp } from '../../ui/format';
import { TextField } from '../../ui/inputs';
import { Panel } from '../../ui/Panel';
import { useDebounced } from '../../ui/use-debounced';
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

export function StreamsScreen() {
  const { active } = useActiveConnection();
  const [filter, setFilter] = useState<StreamsFilter>(NO_FILTER);
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
  /** Shown when nothing was found; null when nothing could be read (an error is shown instead). */
  emptyMessage: string | null;
}

/** Only the rows in view are in the DOM; the next page loads as the end comes into view. */
function StreamsTable({ streams, loading, hasMore, loadingMore, onLoadMore, emptyMessage }: StreamsTableProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: streams.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    getItemKey: (index) => streams[index]?.streamId ?? index,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items[items.length - 1]?.index ?? -1;

  useEffect(() => {
    if (hasMore && !loadingMore && lastIndex >= streams.length - 20) onLoadMore();
  }, [hasMore, loadingMore, lastIndex, streams.length, onLoadMore]);

  return (
    <div className="vtable" role="table" aria-rowcount={streams.length} data-testid="streams-table">
      <div className="vtable__head streams-grid" role="row">
        <span role="columnheader">Stream id</span>
        <span role="columnheader">Category</span>
        <span role="columnheader" className="num">Events</span>
        <span role="columnheader" className="num">Last version</span>
        <span role="columnheader">Last activity</span>
      </div>
      <div className="vtable__scroll" ref={scrollRef}>
        {loading && <div className="empty-state">Loading…</div>}
        {!loading && streams.length === 0 && emptyMessage !== null && <div className="empty-state">{emptyMessage}</div>}
        <div className="vtable__canvas" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const stream = streams[item.index];
            if (!stream) return null;
            return (
              <a
                key={item.key}
                href={streamHref(stream.streamId)}
                className="vtable__row streams-grid"
                role="row"
                style={{ height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
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
            );
          })}
        </div>
        {hasMore && (
          <div className="vtable__more">
            <Button size="sm" onClick={onLoadMore} busy={loadingMore} data-testid="streams-load-more">
              Load more streams
            </Button>
          </div>
        )}
      </div>
    </div>
  );
}
