import type { CSSProperties, ReactNode } from 'react';
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { StoredEvent } from '../../../../src-shared/schemas/browse';
import { useActiveConnection } from '../../app/active-connection';
import { hrefOf, useQueryState, versionParam, type Query, type QueryInput } from '../../app/routes';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Badge } from '../../ui/Badge';
import { Button } from '../../ui/Button';
import { Time, timeHeader } from '../../ui/Time';
import { Panel } from '../../ui/Panel';
import { LoadMore, VirtualTable, type VirtualTableHandle } from '../../ui/VirtualTable';
import { timeTravelHref } from '../time-travel/time-travel-routes';
import { useStreamLocation } from './browse-routes';
import { countTypes, userOf } from './event-fields';
import { EventDetails } from './EventDetails';
import { ExportButton } from './ExportPanel';
import { LiveToggle } from './LiveToggle';
import { isOffline, StoreProblem } from './StoreProblem';
import { needsDetection, useStreamTimeline, type StreamAnchor } from './use-browse';
import { liveKey, useLiveTail } from './use-live-tail';
import './browse.css';

const ROW_HEIGHT = 32;
/** Opening a stream at a version shows a few events before it too. */
const CONTEXT_BEFORE = 20;

export function StreamScreen() {
  const { streamId } = useStreamLocation();
  const { active } = useActiveConnection();
  if (!streamId) {
    return (
      <div className="empty-state">
        No stream is selected. Pick one from the <a href={hrefOf('streams')}>stream list</a> or the <a href={hrefOf('feed')}>global feed</a>.
      </div>
    );
  }
  if (!active) return <StoreProblem connection={active} error={undefined} title="" />;
  // Another stream starts a fresh timeline; another version (a click, Back, a link) moves this one to it.
  return <StreamView key={`${active.id}\u0000${streamId}`} connectionId={active.id} streamId={streamId} />;
}

type Scroll = { to: 'start' } | { to: 'end' } | { to: 'version'; version: number };

function anchorAt(version: number): StreamAnchor {
  return { kind: 'version', version: Math.max(0, version - CONTEXT_BEFORE) };
}

/** The selected event is the address's (`?version=N`): Back, reload and shared links come back to it. */
const selectedFromQuery = (query: Query): number | undefined => versionParam(query.version);
const selectedToQuery = (version: number | undefined): QueryInput => ({ version });

function StreamView({ connectionId, streamId }: { connectionId: string; streamId: string }) {
  const { active } = useActiveConnection();
  const [selected, setSelected] = useQueryState(selectedFromQuery, selectedToQuery, { history: 'push' });
  const [anchor, setAnchor] = useState<StreamAnchor>(() => (selected !== undefined ? anchorAt(selected) : { kind: 'start' }));
  const [scroll, setScroll] = useState<Scroll | undefined>(selected !== undefined ? { to: 'version', version: selected } : undefined);
  const [jumpText, setJumpText] = useState('');
  const [jumpProblem, setJumpProblem] = useState<{ message: string; nearest: number } | undefined>(undefined);

  const timeline = useStreamTimeline(connectionId, streamId, anchor);
  const summary = useStreamSummary(connectionId, streamId);
  const tail = useLiveTail(connectionId, { streamId });
  const events = useMemo(() => {
    const read = timeline.data?.pages.flatMap((page) => page.events) ?? [];
    // Live events continue the timeline after the newest version read.
    const newest = read[read.length - 1]?.version ?? -1;
    return [...read, ...tail.events.filter((event) => event.version > newest).sort((a, b) => a.version - b.version)];
  }, [timeline.data, tail.events]);
  const liveCount = tail.events.length;
  const following = tail.live;
  useEffect(() => {
    if (following && liveCount > 0) setScroll({ to: 'end' });
  }, [following, liveCount]);
  const selectedEvent = events.find((event) => event.version === selected);
  // A version the address names from elsewhere (Back, Forward, a link, a hand edit) is brought into view,
  // read afresh around it when it is not loaded; a click or a jump here has placed the timeline already.
  const placed = useRef(selected);
  const loaded = useRef(events);
  loaded.current = events;
  useEffect(() => {
    if (selected === placed.current) return;
    placed.current = selected;
    if (selected === undefined) return;
    if (!loaded.current.some((event) => event.version === selected)) setAnchor(anchorAt(selected));
    setScroll({ to: 'version', version: selected });
  }, [selected]);
  const select = (version: number) => {
    placed.current = version;
    setSelected(version);
  };

  if (needsDetection(timeline.error)) return <StoreProblem connection={active} error={timeline.error} title="" />;
  // Not in the stream list and nothing read: said, rather than a summary waiting forever.
  const missing = summary === null && !timeline.isPending && !timeline.error && events.length === 0;
  if (missing) {
    return (
      <div className="browse stream" data-testid="stream-screen" data-stream-id={streamId}>
        <Alert tone="warning" title="Stream not found" testId="stream-not-found">
          <span>
            “{active?.name}” has no stream <span className="mono">{streamId}</span>. Look for it in the <a href={hrefOf('streams')}>stream list</a>, or switch
            the event store.
          </span>
        </Alert>
      </div>
    );
  }

  const setLive = (on: boolean) => {
    if (on) {
      setAnchor({ kind: 'latest' });
      setScroll({ to: 'end' });
    }
    tail.setLive(on);
  };

  const jump = (event: FormEvent) => {
    event.preventDefault();
    const version = Number(jumpText.trim());
    if (!Number.isInteger(version) || version < 0) return;
    // Said rather than shown as an empty timeline: where the stream really ends (or starts).
    if (summary && version > summary.lastVersion) {
      setJumpProblem({ message: `Version ${version} is past the end: this stream ends at version ${summary.lastVersion}.`, nearest: summary.lastVersion });
      return;
    }
    const firstOfStream = summary ? summary.lastVersion - summary.eventCount + 1 : undefined;
    if (firstOfStream !== undefined && version < firstOfStream) {
      setJumpProblem({ message: `Version ${version} is before the start: this stream starts at version ${firstOfStream}.`, nearest: firstOfStream });
      return;
    }
    goToVersion(version);
  };

  const goToVersion = (version: number) => {
    setJumpProblem(undefined);
    setAnchor(anchorAt(version));
    select(version);
    setScroll({ to: 'version', version });
  };

  return (
    <div className="browse stream" data-testid="stream-screen" data-stream-id={streamId}>
      <div className="stream__bar">
        <div className="stream__identity">
          <a href={hrefOf('streams')} className="stream__back">
            ← Streams
          </a>
          <h2 className="stream__id mono" title={streamId} data-testid="stream-id">
            {streamId}
          </h2>
          {summary?.category && <Badge tone="info">{summary.category}</Badge>}
        </div>
        <div className="stream__controls">
          <LiveToggle tail={tail} onChange={setLive} />
          <ExportButton connectionId={connectionId} source={{ kind: 'stream', streamId }} label="this stream" />
          <a className="btn btn--sm" href={timeTravelHref(streamId, selected)} data-testid="stream-time-travel">
            Time travel
          </a>
          <Button
            size="sm"
            onClick={() => {
              setAnchor({ kind: 'start' });
              setScroll({ to: 'start' });
            }}
            data-testid="stream-jump-start"
          >
            First events
          </Button>
          <Button
            size="sm"
            onClick={() => {
              setAnchor({ kind: 'latest' });
              setScroll({ to: 'end' });
            }}
            data-testid="stream-jump-latest"
          >
            Jump to latest
          </Button>
          <form className="stream__jump" onSubmit={jump}>
            <label className="visually-hidden" htmlFor="stream-jump-version">
              Version
            </label>
            <input
              id="stream-jump-version"
              className="input"
              inputMode="numeric"
              placeholder="Version"
              value={jumpText}
              onChange={(e) => setJumpText(e.target.value.replace(/[^\d]/g, ''))}
              data-testid="stream-jump-version"
            />
            <Button size="sm" type="submit" disabled={jumpText === ''}>
              Go
            </Button>
          </form>
        </div>
      </div>

      {jumpProblem && (
        <Alert tone="warning" title="No such version" testId="stream-jump-problem">
          <span className="store-problem">
            <span>{jumpProblem.message}</span>
            <Button size="sm" onClick={() => goToVersion(jumpProblem.nearest)} data-testid="stream-jump-nearest">
              Go to version {jumpProblem.nearest}
            </Button>
          </span>
        </Alert>
      )}
      <StreamSummary events={events} summary={summary} />
      <StoreProblem
        connection={active}
        error={timeline.error}
        title="Could not read the stream"
        stale={timeline.data !== undefined}
        onRetry={() => void timeline.refetch()}
        retrying={timeline.isRefetching}
      />
      {/* One banner: when the store is unreachable the stopped tail says nothing more. */}
      {tail.error && !(timeline.error && isOffline(tail.error)) && <StoreProblem connection={active} error={tail.error} title="The live tail stopped" />}

      <div className="stream__layout">
        <Panel title={`Timeline${events.length ? ` (${events.length.toLocaleString('en-US')} loaded)` : ''}`} className="browse__panel" flush>
          <Timeline
            events={events}
            fresh={tail.fresh}
            anchor={anchor}
            loading={timeline.isPending}
            selected={selected}
            onSelect={select}
            scroll={scroll}
            onScrolled={() => setScroll(undefined)}
            hasOlder={timeline.hasPreviousPage}
            loadingOlder={timeline.isFetchingPreviousPage}
            onLoadOlder={() => void timeline.fetchPreviousPage()}
            hasNewer={timeline.hasNextPage}
            loadingNewer={timeline.isFetchingNextPage}
            onLoadNewer={() => void timeline.fetchNextPage()}
          />
        </Panel>
        <Panel title="Event" className="browse__panel stream__details-panel">
          {selectedEvent ? (
            <EventDetails event={selectedEvent} />
          ) : (
            <SelectedMissing selected={selected} loading={timeline.isPending} summary={summary} onGo={goToVersion} />
          )}
        </Panel>
      </div>
    </div>
  );
}

interface StreamSummaryRow {
  category: string | null;
  eventCount: number;
  lastVersion: number;
  lastActivity: string | null;
}

/** The stream's row in the stream list: total events, last version and activity; null when the list has no such stream, undefined while reading. */
function useStreamSummary(connectionId: string, streamId: string): StreamSummaryRow | null | undefined {
  const { data } = useOperation('streams.list', { connectionId, idPrefix: streamId, limit: 5 }, { retry: false });
  return data ? (data.streams.find((stream) => stream.streamId === streamId) ?? null) : undefined;
}

/** Why the selected version has no event shown: past the stream's end or before its start, else not loaded yet. */
interface SelectedMissingProps {
  selected: number | undefined;
  loading: boolean;
  summary: StreamSummaryRow | null | undefined;
  onGo: (version: number) => void;
}

function SelectedMissing({ selected, loading, summary, onGo }: SelectedMissingProps) {
  if (selected === undefined || loading) return <div className="empty-state">Select an event to see its payload and metadata.</div>;
  const first = summary ? summary.lastVersion - summary.eventCount + 1 : undefined;
  if (summary && (selected > summary.lastVersion || (first !== undefined && selected < first))) {
    return (
      <div className="empty-state">
        <p data-testid="stream-version-not-found">
          Version {selected} not found: this stream has versions {first} to {summary.lastVersion}.
        </p>
        <Button size="sm" onClick={() => onGo(selected > summary.lastVersion ? summary.lastVersion : first!)} data-testid="stream-version-nearest">
          Go to version {selected > summary.lastVersion ? summary.lastVersion : first}
        </Button>
      </div>
    );
  }
  return <div className="empty-state">Version {selected} is not loaded.</div>;
}

function StreamSummary({ events, summary }: { events: StoredEvent[]; summary: StreamSummaryRow | null | undefined }) {
  const types = countTypes(events);
  const first = events[0];
  const last = events[events.length - 1];
  return (
    <div className="stream-summary" data-testid="stream-summary">
      <Stat label="Events in stream" value={summary ? summary.eventCount.toLocaleString('en-US') : summary === null ? '—' : '…'} testId="stream-total" />
      <Stat label="Last version" value={summary ? String(summary.lastVersion) : summary === null ? '—' : '…'} testId="stream-last-version" />
      <Stat label="Last activity" value={summary?.lastActivity ? <Time iso={summary.lastActivity} /> : '—'} />
      <Stat label="Loaded" value={first && last ? `v${first.version} – v${last.version} (${events.length})` : '—'} testId="stream-loaded" />
      <div className="stream-summary__types" data-testid="stream-type-counts">
        <span className="stream-summary__label">Types in loaded events</span>
        <div className="stream-summary__chips">
          {types.length === 0 && <span className="muted">—</span>}
          {types.map(([type, count]) => (
            <span key={type} className="type-chip" title={`${count} ${type} event${count === 1 ? '' : 's'} loaded`}>
              {type} <strong>{count}</strong>
            </span>
          ))}
        </div>
      </div>
    </div>
  );
}

function Stat({ label, value, testId }: { label: string; value: ReactNode; testId?: string }) {
  return (
    <div className="stat">
      <span className="stream-summary__label">{label}</span>
      <span className="stat__value" data-testid={testId}>
        {value}
      </span>
    </div>
  );
}

interface TimelineProps {
  events: StoredEvent[];
  fresh: ReadonlySet<string>;
  anchor: StreamAnchor;
  loading: boolean;
  selected: number | undefined;
  onSelect: (version: number) => void;
  scroll: Scroll | undefined;
  onScrolled: () => void;
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  hasNewer: boolean;
  loadingNewer: boolean;
  onLoadNewer: () => void;
}

/** The stream's events by version, virtualised; newer pages load at the bottom, older ones on demand at the top. */
function Timeline(props: TimelineProps) {
  const { events, fresh, anchor, loading, selected, onSelect, scroll, onScrolled, hasOlder, loadingOlder, onLoadOlder, hasNewer, loadingNewer, onLoadNewer } =
    props;
  const table = useRef<VirtualTableHandle>(null);

  // Older events arriving above keep the rows in view where they were.
  const firstVersion = events[0]?.version;
  const previous = useRef<{ anchor: StreamAnchor; first: number | undefined }>({ anchor, first: firstVersion });
  useLayoutEffect(() => {
    const before = previous.current;
    previous.current = { anchor, first: firstVersion };
    if (!table.current || before.anchor !== anchor || before.first === undefined || firstVersion === undefined || firstVersion >= before.first) return;
    const added = events.findIndex((event) => event.version === before.first);
    if (added > 0) table.current.scrollBy(added * ROW_HEIGHT);
  }, [anchor, firstVersion, events]);

  // Jumps scroll once their page is in.
  useEffect(() => {
    if (!scroll || loading || events.length === 0 || !table.current) return;
    if (scroll.to === 'start') table.current.scrollToIndex(0, 'start');
    else if (scroll.to === 'end') table.current.scrollToIndex(events.length - 1, 'end');
    else {
      const index = events.findIndex((event) => event.version >= scroll.version);
      if (index >= 0) table.current.scrollToIndex(index, 'center');
    }
    onScrolled();
  }, [scroll, loading, events, onScrolled]);

  // The type column is as wide as the longest type loaded (within reason), so names are not cut while the panel has room.
  const typeColumn = useMemo(() => `${Math.min(360, Math.max(110, Math.ceil(widestType(events)) + 8))}px`, [events]);
  return (
    <div className="timeline" style={{ '--timeline-type': typeColumn } as CSSProperties}>
      <VirtualTable
        handle={table}
        rows={events}
        rowKey={(event) => event.version}
        rowHeight={ROW_HEIGHT}
        testId="stream-timeline"
        headClassName="timeline-grid"
        head={
          <>
            <span role="columnheader" className="num">
              Version
            </span>
            <span role="columnheader">Type</span>
            <span role="columnheader">{timeHeader()}</span>
            <span role="columnheader">User</span>
          </>
        }
        top={<LoadMore show={hasOlder} busy={loadingOlder} onClick={onLoadOlder} label="Load older events" testId="stream-load-older" top />}
        loading={loading}
        emptyMessage="No events in this range."
        // Newer events load on their own as the end comes into view.
        onEndReached={hasNewer && !loadingNewer && events.length > 0 ? onLoadNewer : undefined}
        endThreshold={10}
        footer={<LoadMore show={hasNewer} busy={loadingNewer} onClick={onLoadNewer} label="Load newer events" testId="stream-load-newer" />}
        renderRow={(event, { style }) => {
          const user = userOf(event);
          const isSelected = event.version === selected;
          return (
            <div
              className={['vtable__row timeline-grid', isSelected ? 'vtable__row--selected' : '', fresh.has(liveKey(event)) ? 'vtable__row--fresh' : '']
                .filter(Boolean)
                .join(' ')}
              role="row"
              aria-selected={isSelected}
              tabIndex={0}
              style={style}
              onClick={() => onSelect(event.version)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  onSelect(event.version);
                }
              }}
              data-testid="stream-event"
              data-version={event.version}
              data-type={event.type}
            >
              <span role="cell" className="num mono">
                {event.version}
              </span>
              <span role="cell" className="clip event-type" title={event.type}>
                {event.type}
              </span>
              <span role="cell" className="nowrap">
                {event.timestamp ? <Time iso={event.timestamp} compact /> : <span className="muted">—</span>}
              </span>
              <span role="cell" className="clip mono muted" title={user}>
                {user ?? '—'}
              </span>
            </div>
          );
        }}
      />
    </div>
  );
}

let measuring: CanvasRenderingContext2D | null | undefined;

/** The width of the widest loaded type as the timeline draws it (bold, body font), in pixels. */
function widestType(events: readonly StoredEvent[]): number {
  const types = new Set(events.map((event) => event.type));
  measuring ??= document.createElement('canvas').getContext('2d');
  if (!measuring) return Math.max(0, ...[...types].map((type) => type.length * 8.5));
  measuring.font = `600 13px ${getComputedStyle(document.body).fontFamily}`;
  return Math.max(0, ...[...types].map((type) => measuring!.measureText(type).width));
}
