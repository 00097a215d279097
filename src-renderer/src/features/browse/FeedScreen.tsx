import { useEffect, useMemo, useRef, useState, type Ref, type RefObject } from 'react';
import type { InputOf } from '../../../../src-shared/operations';
import type { StoredEvent } from '../../../../src-shared/schemas/browse';
import { useActiveConnection } from '../../app/active-connection';
import { hrefOf, useQueryState, type HistoryMode } from '../../app/routes';
import { Button } from '../../ui/Button';
import { Time, timeHeader } from '../../ui/Time';
import { TIME_INPUT_FORMAT, zoneName } from '../../ui/time';
import { messageOf } from '../../client/errors';
import { useClient } from '../../client/host-context';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Field } from '../../ui/Field';
import { SelectField, TextField } from '../../ui/inputs';
import { Panel } from '../../ui/Panel';
import { useDebounced } from '../../ui/use-debounced';
import { LoadMore, VirtualTable, type VirtualTableHandle } from '../../ui/VirtualTable';
import { streamHref } from './browse-routes';
import { countTypes, parseTypes } from './event-fields';
import { ExportButton } from './ExportPanel';
import { afterOf, describeFeedFilters, feedFilterFromQuery, feedFilterToQuery, isoOf, NO_FILTER } from './feed-filter';
import { fieldFilterOf, matchesField, type FieldFilterText } from './field-filter';
import { IndexAdvice } from './IndexAdvice';
import { findLatestPosition } from './latest-position';
import { LiveToggle } from './LiveToggle';
import { isUnsupported, StaleBadge, StoreProblem } from './StoreProblem';
import { needsDetection, useFeedPages } from './use-browse';
import { liveKey, useLiveTail } from './use-live-tail';
import './browse.css';

const ROW_HEIGHT = 32;

type FeedReadInput = InputOf<'feed.read'>;

export function FeedScreen() {
  const { active } = useActiveConnection();
  const [filter, setFilter] = useQueryState(feedFilterFromQuery, feedFilterToQuery);
  const settled = useDebounced(filter, 350);
  const types = parseTypes(settled.types);
  const from = isoOf(settled.from);
  const to = isoOf(settled.to);
  const afterPosition = afterOf(settled.seek.trim());
  const field = fieldFilterOf(settled.field);
  const category = settled.category.trim();
  const correlationId = settled.correlation.trim();
  // A layout without a global order (Emmett on MongoDB) has no feed: nothing to read, say where to go.
  const capabilities = useOperation('stores.describe', { connectionId: active?.id ?? '' }, { enabled: active !== undefined, retry: false });
  const noGlobalFeed = capabilities.data?.hasGlobalPosition === false;
  const input =
    active && !noGlobalFeed
      ? {
          connectionId: active.id,
          ...(types.length ? { eventTypes: types } : {}),
          ...(settled.category.trim() ? { category: settled.category.trim() } : {}),
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
          ...(afterPosition !== undefined ? { afterPosition } : {}),
          ...(correlationId ? { correlationId } : {}),
          ...(field ? { field } : {}),
        }
      : undefined;
  const pages = useFeedPages(input);
  const [mode, setMode] = useState<'history' | 'live'>('history');
  const tail = useLiveTail(
    active?.id,
    { ...(types.length ? { eventTypes: types } : {}), ...(category ? { category } : {}) },
    (event) => matchesField(event, field) && (!correlationId || event.correlationId === correlationId),
  );
  const history = useMemo(() => pages.data?.pages.flatMap((page) => page.events) ?? [], [pages.data]);
  // Live: the newest first, as they arrive.
  const liveEvents = useMemo(() => [...tail.events].reverse(), [tail.events]);
  const events = mode === 'live' ? liveEvents : history;
  const seen = useMemo(() => countTypes(events).slice(0, 16), [events]);
  const advice = pages.data?.pages[0]?.advice ?? [];
  const filtered = JSON.stringify(filter) !== JSON.stringify(NO_FILTER);
  const rangeError = rangeErrorOf(filter.from, filter.to);
  const table = useRef<VirtualTableHandle>(null);
  const latest = useJumpToLatest(input, table, (seek) => setFilter({ ...filter, seek }, 'push'), {
    events: history,
    hasMore: pages.hasNextPage,
    busy: pages.isFetching,
    loadMore: () => void pages.fetchNextPage(),
  });
  const chosen = new Set(parseTypes(filter.types));

  if (!active || needsDetection(pages.error)) {
    return <StoreProblem connection={active} error={pages.error} title="Could not read the feed" />;
  }
  if (noGlobalFeed || isUnsupported(pages.error)) return <NoGlobalFeed connectionName={active.name} />;

  // A failed re-read keeps the rows of the last good one: shown, but marked as possibly out of date.
  const stale = mode === 'history' && pages.error !== null && pages.data !== undefined;
  const setLive = (on: boolean) => {
    if (on) setMode('live');
    tail.setLive(on);
  };
  const showHistory = () => {
    tail.setLive(false);
    setMode('history');
  };
  // Typing rewrites the address; a choice (a select, a type picked) opens a history entry.
  const setField = (change: Partial<FieldFilterText>, mode: HistoryMode = 'replace') => setFilter({ ...filter, field: { ...filter.field, ...change } }, mode);

  const toggleType = (type: string) => {
    const next = chosen.has(type) ? [...chosen].filter((t) => t !== type) : [...chosen, type];
    setFilter({ ...filter, types: next.join(', ') }, 'push');
  };

  return (
    <div className="browse" data-testid="feed-screen">
      <div className="browse-filters feed-filters" role="search">
        <TextField
          label="Event types"
          value={filter.types}
          placeholder="e.g. OrderPlaced, OrderShipped"
          hint="Comma-separated, or pick from the types below"
          testId="feed-filter-types"
          onChange={(types) => setFilter({ ...filter, types })}
        />
        <TextField
          label="Category"
          value={filter.category}
          placeholder="e.g. Order"
          testId="feed-filter-category"
          onChange={(category) => setFilter({ ...filter, category })}
        />
        <DateTimeField label="From" value={filter.from} testId="feed-filter-from" onChange={(from) => setFilter({ ...filter, from })} />
        <DateTimeField
          label="To"
          value={filter.to}
          testId="feed-filter-to"
          errors={rangeError ? [rangeError] : undefined}
          onChange={(to) => setFilter({ ...filter, to })}
        />
        <TextField
          label="Correlation id"
          value={filter.correlation}
          placeholder="e.g. a command id"
          testId="feed-filter-correlation"
          onChange={(correlation) => setFilter({ ...filter, correlation })}
        />
        <TextField
          label="Seek to position"
          value={filter.seek}
          placeholder="e.g. 25000"
          testId="feed-filter-seek"
          onChange={(seek) => setFilter({ ...filter, seek: seek.replace(/[^\d]/g, '') })}
        />
      </div>
      <div className="browse-filters field-filter" role="group" aria-label="JSON field filter">
        <SelectField
          label="JSON field in"
          value={filter.field.in}
          options={[
            { value: 'data', label: 'Payload (data)' },
            { value: 'metadata', label: 'Metadata' },
          ]}
          testId="feed-field-in"
          onChange={(value) => setField({ in: value }, 'push')}
        />
        <TextField
          label="Field path"
          value={filter.field.path}
          placeholder="e.g. customerId or address.city"
          testId="feed-field-path"
          onChange={(path) => setField({ path })}
        />
        <SelectField
          label="Match"
          value={filter.field.op}
          options={[
            { value: 'equals', label: 'equals' },
            { value: 'contains', label: 'contains' },
          ]}
          testId="feed-field-op"
          onChange={(op) => setField({ op }, 'push')}
        />
        <TextField label="Value" value={filter.field.value} placeholder="e.g. EUR" testId="feed-field-value" onChange={(value) => setField({ value })} />
      </div>
      {advice.length > 0 && <IndexAdvice advice={advice} testId="feed-advice" />}
      {seen.length > 0 && (
        <div className="type-picker" data-testid="feed-type-picker">
          <span className="stream-summary__label">Types in view</span>
          {seen.map(([type, count]) => (
            <button
              key={type}
              type="button"
              className={chosen.has(type) ? 'type-chip type-chip--button type-chip--on' : 'type-chip type-chip--button'}
              aria-pressed={chosen.has(type)}
              onClick={() => toggleType(type)}
              data-testid="feed-type-chip"
              data-type={type}
            >
              {type} <strong>{count}</strong>
            </button>
          ))}
        </div>
      )}
      <StoreProblem
        connection={active}
        error={pages.error}
        title="Could not read the feed"
        stale={stale}
        onRetry={() => void pages.refetch()}
        retrying={pages.isRefetching}
      />
      {latest.error && (
        <Alert tone="danger" title="Could not find the latest events" testId="feed-jump-error">
          {latest.error}
        </Alert>
      )}
      {tail.error && (
        <Alert tone="danger" title="The live tail stopped" testId="live-error">
          {tail.error.message}
        </Alert>
      )}
      <Panel
        title={
          mode === 'live' ? (
            `Live tail (${tail.events.length.toLocaleString('en-US')} new event${tail.events.length === 1 ? '' : 's'})`
          ) : (
            <>
              {`Events by global position${pages.data ? ` (${events.length.toLocaleString('en-US')}${pages.hasNextPage ? '+' : ''})` : ''}`}
              {stale && <StaleBadge />}
            </>
          )
        }
        actions={
          <>
            <LiveToggle tail={tail} onChange={setLive} />
            {mode === 'live' && (
              <Button size="sm" variant="ghost" onClick={showHistory} data-testid="feed-history">
                Back to history
              </Button>
            )}
            {input && <ExportButton connectionId={active.id} label="the feed" source={feedExportSource(input)} note={exportNote(input, mode)} />}
            {mode === 'history' && (
              <Button
                size="sm"
                onClick={latest.jump}
                busy={latest.busy}
                disabled={!input || rangeError !== undefined}
                title="Seek to the newest events that match the filters"
                data-testid="feed-jump-latest"
              >
                Jump to latest
              </Button>
            )}
            {filtered && (
              <Button size="sm" variant="ghost" onClick={() => setFilter(NO_FILTER, 'push')}>
                Clear filters
              </Button>
            )}
          </>
        }
        className={stale ? 'browse__panel browse__panel--stale' : 'browse__panel'}
        testId="feed-panel"
        flush
      >
        {mode === 'live' ? (
          <FeedTable
            events={events}
            fresh={tail.fresh}
            loading={false}
            hasMore={false}
            loadingMore={false}
            onLoadMore={() => undefined}
            emptyMessage={
              tail.error ? null : tail.live ? 'Waiting for new events… Only events matching the filters appear.' : 'Paused. Resume to follow new events.'
            }
          />
        ) : (
          <FeedTable
            events={events}
            loading={pages.isPending}
            hasMore={pages.hasNextPage}
            loadingMore={pages.isFetchingNextPage}
            onLoadMore={() => void pages.fetchNextPage()}
            // Under an error the list is empty because nothing was read: the alert above says why.
            emptyMessage={
              pages.error
                ? null
                : rangeError
                  ? `No event can match: ${rangeError}`
                  : filtered
                    ? 'No event matches these filters.'
                    : 'This store has no events yet.'
            }
            handle={table}
          />
        )}
      </Panel>
    </div>
  );
}

function DateTimeField({
  label,
  value,
  onChange,
  testId,
  errors,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  testId: string;
  errors?: string[];
}) {
  const shownErrors = errors ?? (value.trim() && !isoOf(value) ? [`Type ${TIME_INPUT_FORMAT}, 24-hour, ${zoneName()}`] : undefined);
  return (
    // One message under the field: the error when there is one (it names the format and zone), else the hint.
    <Field label={label} errors={shownErrors} hint={shownErrors ? undefined : `24-hour, ${zoneName()}`}>
      {({ id, describedBy, invalid }) => (
        <input
          id={id}
          type="text"
          inputMode="numeric"
          placeholder={TIME_INPUT_FORMAT}
          className="input mono"
          value={value}
          aria-invalid={invalid}
          aria-describedby={describedBy}
          data-testid={testId}
          onChange={(event) => onChange(event.target.value)}
        />
      )}
    </Field>
  );
}

interface FeedTableProps {
  events: StoredEvent[];
  /** Keys of just-arrived live events, highlighted for a moment. */
  fresh?: ReadonlySet<string>;
  loading: boolean;
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  /** Shown when nothing was found; null when nothing could be read (an error is shown instead). */
  emptyMessage: string | null;
  handle?: Ref<VirtualTableHandle>;
}

function FeedTable({ events, fresh, loading, hasMore, loadingMore, onLoadMore, emptyMessage, handle }: FeedTableProps) {
  return (
    <VirtualTable
      handle={handle}
      rows={events}
      rowKey={(event) => event.position ?? `${event.streamId}@${event.version}`}
      rowHeight={ROW_HEIGHT}
      testId="feed-table"
      headClassName="feed-grid"
      head={
        <>
          <span role="columnheader" className="num">
            Position
          </span>
          <span role="columnheader">{timeHeader()}</span>
          <span role="columnheader">Type</span>
          <span role="columnheader">Stream</span>
          <span role="columnheader">Category</span>
          <span role="columnheader" className="num">
            Version
          </span>
        </>
      }
      loading={loading}
      emptyMessage={emptyMessage}
      onEndReached={hasMore && !loadingMore && events.length > 0 ? onLoadMore : undefined}
      footer={<LoadMore show={hasMore} busy={loadingMore} onClick={onLoadMore} label="Load more events" testId="feed-load-more" />}
      renderRow={(event, { style }) => (
        <a
          href={streamHref(event.streamId, event.version)}
          className={fresh?.has(liveKey(event)) ? 'vtable__row feed-grid vtable__row--fresh' : 'vtable__row feed-grid'}
          role="row"
          title={`Open ${event.streamId} at version ${event.version}`}
          style={style}
          data-testid="feed-event"
          data-type={event.type}
          data-position={event.position ?? ''}
        >
          <span role="cell" className="num mono">
            {event.position ?? '—'}
          </span>
          <span role="cell" className="nowrap">
            {event.timestamp ? <Time iso={event.timestamp} compact /> : <span className="muted">—</span>}
          </span>
          <span role="cell" className="clip event-type" title={event.type}>
            {event.type}
          </span>
          <span role="cell" className="clip mono" title={event.streamId}>
            {event.streamId}
          </span>
          <span role="cell" className="clip">
            {event.category ?? <span className="muted">—</span>}
          </span>
          <span role="cell" className="num mono">
            {event.version}
          </span>
        </a>
      )}
    />
  );
}

/** The export takes exactly the filters the history list was read with. */
function feedExportSource({ connectionId: _connection, ...filters }: FeedReadInput): { kind: 'feed' } & Omit<FeedReadInput, 'connectionId'> {
  return { kind: 'feed', ...filters };
}

function exportNote(input: FeedReadInput, mode: 'history' | 'live'): string {
  const parts = describeFeedFilters(input);
  const scope = parts.length ? `Every event matching ${parts.join(', ')}` : 'Every event of the feed';
  return `${scope}, not only the loaded rows${mode === 'live' ? ' (the history filters; the live tail is not exported)' : ''}.`;
}

/** "To" before "From" can match nothing: said on the field rather than shown as an empty feed. */
function rangeErrorOf(from: string, to: string): string | undefined {
  const start = isoOf(from);
  const end = isoOf(to);
  return start && end && end < start ? '"To" is before "From"; pick a later time.' : undefined;
}

/** How much of the feed before the latest matching event is shown after a jump (positions). */
const LATEST_WINDOW = 500n;

const positionOf = (event: StoredEvent): bigint | undefined => (event.position ? BigInt(event.position) : undefined);

/** The history list as read, and how to read on. */
interface LoadedFeed {
  events: StoredEvent[];
  hasMore: boolean;
  busy: boolean;
  loadMore: () => void;
}

/**
 * Seeks the feed to just before the newest matching event, reads on until that event is in the
 * list (the window can hold more than a page) and scrolls it into view.
 */
function useJumpToLatest(input: FeedReadInput | undefined, table: RefObject<VirtualTableHandle | null>, seek: (position: string) => void, loaded: LoadedFeed) {
  const client = useClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  // The newest matching event's position and where the list was sought to, until it is on screen.
  const [target, setTarget] = useState<{ position: bigint; seekTo: bigint } | undefined>(undefined);
  const { events, hasMore, busy: reading, loadMore } = loaded;
  useEffect(() => {
    if (!target || !table.current || reading) return;
    const index = events.findIndex((event) => positionOf(event) === target.position);
    if (index >= 0) {
      table.current.scrollToIndex(index, 'end');
      setTarget(undefined);
      return;
    }
    // Only once the list is the one read from the seek (the filter settles after a moment), never the previous one.
    const first = events[0] ? positionOf(events[0]) : undefined;
    if (first === undefined || first < target.seekTo) return;
    if (hasMore) loadMore();
    else {
      // The list read from the seek ended without it (deleted since, or the filter changed): show its end, stop waiting.
      if (events.length > 0) table.current.scrollToIndex(events.length - 1, 'end');
      setTarget(undefined);
    }
  }, [target, events, hasMore, reading, loadMore, table]);

  const jump = () => {
    if (!input) return;
    const { afterPosition: _ignored, ...filters } = input;
    setBusy(true);
    setError(undefined);
    findLatestPosition(async (after) => {
      const page = await client.call('feed.read', { ...filters, afterPosition: String(after), limit: 1 });
      const position = page.events[0]?.position;
      return position ? BigInt(position) : undefined;
    })
      .then((last) => {
        if (last === undefined) return;
        const seekTo = last > LATEST_WINDOW ? last - LATEST_WINDOW + 1n : 1n;
        seek(String(seekTo));
        setTarget({ position: last, seekTo });
      })
      .catch((cause: unknown) => setError(messageOf(cause)))
      .finally(() => setBusy(false));
  };
  return { jump, busy, error };
}

/** Said instead of the feed where the layout keeps no store-wide order: no Retry, the way to the streams. */
function NoGlobalFeed({ connectionName }: { connectionName: string }) {
  return (
    <div className="browse" data-testid="feed-screen">
      <Alert tone="info" title={`“${connectionName}” has no global feed`} testId="feed-unsupported">
        Its event-store layout keeps no store-wide order of events, so there is no global feed or live tail to show. Browse its events stream by stream on{' '}
        <a href={hrefOf('streams')} data-testid="feed-unsupported-streams">
          Streams
        </a>
        .
      </Alert>
    </div>
  );
}
