import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { StoredEvent } from '../../../../src-shared/schemas/browse';
import { useActiveConnection } from '../../app/active-connection';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Badge } from '../../ui/Badge';
import { Button } from '../../ui/Button';
import { formatTimestamp } from '../../ui/format';
import { Panel } from '../../ui/Panel';
import { useDebounced } from '../../ui/use-debounced';
import '../../ui/json-tree.css';
import { ComparePanel } from './ComparePanel';
import { DefinitionSelect } from './DefinitionSelect';
import { DefinitionsFolderDialog } from './DefinitionsFolderDialog';
import { ErrorNote } from './ErrorNote';
import { EventPayloads } from './EventPayloads';
import { WINDOW_SIZE, windowStart } from './event-window';
import { downloadJson, fileSafe, pathText } from './export-json';
import { FieldHistoryPanel } from './FieldHistoryPanel';
import { StreamPicker } from './StreamPicker';
import { pathKey, StateTree, type ChangeKind } from './StateTree';
import { replaceVersionInAddress, timeTravelHref, useTimeTravelLocation } from './time-travel-routes';
import { streamHref } from '../browse/browse-routes';
import { useDefinitions } from './use-definitions';
import { useReplay, type Target } from './use-replay';
import { VerifySnapshotButton } from './VerifySnapshotButton';
import './time-travel.css';

/** Slider moves settle for this long before a replay is asked for. */
const SLIDER_DEBOUNCE_MS = 250;
export function TimeTravelScreen() {
  const { streamId, version } = useTimeTravelLocation();
  const { active } = useActiveConnection();
  if (!active) return <div className="empty-state">Loading connections…</div>;
  if (!streamId) return <StreamPicker connectionId={active.id} />;
  return <TimeTravelView key={`${active.id}\u0000${streamId}`} connectionId={active.id} streamId={streamId} initialVersion={version} />;
}

type Tab = 'history' | 'compare';

function TimeTravelView({ connectionId, streamId, initialVersion }: { connectionId: string; streamId: string; initialVersion: number | undefined }) {
  // The stream's bounds: its first event (version 1 is assumed to be the first replayable one) and its last.
  const head = useOperation('streams.read', { connectionId, streamId, fromVersion: 1, direction: 'forward', limit: 1 }, { retry: false });
  const tail = useOperation('streams.read', { connectionId, streamId, direction: 'backward', limit: 1 }, { retry: false });
  const firstVersion = head.data?.events[0]?.version ?? 1;
  const lastVersion = tail.data?.events[0]?.version;

  const [version, setVersion] = useState<number | undefined>(initialVersion);
  const [timeTarget, setTimeTarget] = useState<string | undefined>(undefined);
  const [tab, setTab] = useState<Tab>('history');
  const [definition, setDefinition] = useState('auto');
  const [folderOpen, setFolderOpen] = useState(false);
  const definitions = useDefinitions();
  // Until the user picks a version, the screen shows the latest one.
  const selected = version ?? lastVersion;
  const from = selected !== undefined ? windowStart(firstVersion, selected) : firstVersion;
  const events = useOperation('streams.read', { connectionId, streamId, fromVersion: from, direction: 'forward', limit: WINDOW_SIZE }, {
    retry: false,
    enabled: lastVersion !== undefined,
    placeholderData: (previous) => previous, // keep the old window on screen while the next one loads
  });
  const list = useMemo(() => (events.data?.events ?? []).filter((e) => e.version >= 1), [events.data]);
  const listed = list.length > 0 ? `v${list[0]!.version.toLocaleString('en-US')}–v${list[list.length - 1]!.version.toLocaleString('en-US')} of ${(lastVersion ?? 0).toLocaleString('en-US')}` : '';
  const settled = useDebounced(selected, SLIDER_DEBOUNCE_MS);
  const target: Target | undefined = timeTarget ? { time: timeTarget } : settled !== undefined ? { version: settled } : undefined;
  const replay = useReplay(connectionId, streamId, definition, definitions.revision, target);

  // A replay "at a time" lands on a version: move the slider there.
  useEffect(() => {
    if (timeTarget && replay.data) {
      setVersion(replay.data.version);
      setTimeTarget(undefined);
    }
  }, [timeTarget, replay.data]);

  useEffect(() => {
    if (settled !== undefined) replaceVersionInAddress(streamId, settled);
  }, [streamId, settled]);

  const steps = useOperation(
    'timeTravel.steps',
    { connectionId, streamId, fromVersion: settled ?? 1, toVersion: settled ?? 1, definition },
    { enabled: settled !== undefined && settled >= 1, retry: false, staleTime: Infinity },
  );
  const step = steps.data?.steps.find((s) => s.event.version === settled);
  const changes = useMemo(() => {
    const map = new Map<string, ChangeKind>();
    for (const entry of step?.diff ?? []) map.set(pathKey(entry.path), entry.kind);
    return map;
  }, [step]);

  const pick = (next: number) => {
    setTimeTarget(undefined);
    setVersion(next);
  };

  const shown = replay.data;
  const stale = replay.pending || selected !== settled;

  return (
    <div className="tt" data-testid="time-travel-screen" data-stream-id={streamId}>
      <div className="tt__bar">
        <div className="tt__identity">
          <a href={timeTravelHref()} className="tt__back">
            ← Pick a stream
          </a>
          <h2 className="tt__id mono" title={streamId} data-testid="tt-stream-id">
            {streamId}
          </h2>
          {shown && (
            <Badge tone="info" testId="tt-definition-used">
              definition: {shown.definition}
            </Badge>
          )}
          <a href={streamHref(streamId, selected)} className="tt__link">
            Open in stream view
          </a>
        </div>
        <div className="tt__controls">
          <DefinitionSelect value={definition} definitions={definitions.data?.definitions ?? []} onChange={setDefinition} />
          <Button size="sm" onClick={() => setFolderOpen(true)} data-testid="tt-definitions-folder">
            Definitions folder…
          </Button>
          <VerifySnapshotButton connectionId={connectionId} streamId={streamId} definition={definition} />
          <Button size="sm" disabled={!shown} onClick={() => shown && downloadJson(`${fileSafe(streamId)}-v${shown.version}-state.json`, shown)} data-testid="tt-export-state">
            Export state
          </Button>
        </div>
      </div>

      {folderOpen && <DefinitionsFolderDialog listing={definitions.data} onClose={() => setFolderOpen(false)} />}
      {(events.error ?? tail.error) && <ErrorNote title="Could not read the stream" error={(events.error ?? tail.error)!} />}

      <Slider
        events={list}
        first={firstVersion}
        last={lastVersion}
        selected={selected}
        loading={tail.isPending}
        onPick={pick}
        onTime={(iso) => setTimeTarget(iso)}
      />

      <div className="tt__layout">
        <Panel title={`Events${listed ? ` (${listed})` : ''}`} className="tt__panel" flush>
          <EventList events={list} selected={selected} onPick={pick} loading={events.isPending} />
        </Panel>
        <Panel
          title={
            <>
              State {shown ? <span className="mono">at v{shown.version}</span> : null}
              {shown?.timestamp && <span className="tt__muted"> · {formatTimestamp(shown.timestamp)}</span>}
            </>
          }
          className="tt__panel tt__state-panel"
          testId="tt-state-panel"
        >
          {replay.showProgress && replay.pending && (
            <div className="tt-progress" data-testid="tt-progress">
              <div className="tt-progress__row">
                <span>{replay.progress?.message ?? 'Replaying events…'}</span>
                <Button size="sm" onClick={replay.cancel} data-testid="tt-cancel">
                  Cancel
                </Button>
              </div>
              <progress max={replay.progress?.total ?? undefined} value={replay.progress?.total ? replay.progress.done : undefined} />
              {replay.progress?.total ? (
                <span className="tt__muted">
                  {replay.progress.done.toLocaleString('en-US')} / {replay.progress.total.toLocaleString('en-US')} events
                </span>
              ) : null}
            </div>
          )}
          {replay.cancelled && (
            <Alert tone="warning" title="Replay cancelled">
              <Button size="sm" onClick={replay.retry}>
                Run it again
              </Button>
            </Alert>
          )}
          {replay.error && <ErrorNote title="Could not replay the stream" error={replay.error} />}
          {shown && (
            <div className={stale ? 'tt-state tt-state--stale' : 'tt-state'} data-testid="tt-state" data-version={shown.version} aria-busy={stale || undefined}>
              <div className="tt-note" data-testid="tt-replay-note">
                {shown.fromSnapshotVersion === 0 ? 'From the start, ' : shown.fromCache ? `From a state met by an earlier replay at v${shown.fromSnapshotVersion}, ` : `From snapshot v${shown.fromSnapshotVersion}, `}
                replayed {shown.applied.toLocaleString('en-US')} event{shown.applied === 1 ? '' : 's'}
              </div>
              <StateTree value={shown.state} changes={changes} testId="tt-state-tree" />
              {step && (
                <div className="tt-changed" data-testid="tt-changed">
                  <span className="tt__muted">
                    v{step.event.version} <strong>{step.event.type}</strong> changed:
                  </span>{' '}
                  {step.diff.length === 0 ? <span className="tt__muted">nothing</span> : step.diff.map((d) => (
                    <span key={pathKey(d.path)} className={`tt-chip tt-chip--${d.kind}`}>
                      {pathText(d.path)} ({d.kind})
                    </span>
                  ))}
                </div>
              )}
              {step && <EventPayloads step={step} />}
            </div>
          )}
          {!shown && !replay.error && !replay.pending && <div className="empty-state">No state yet.</div>}
          {!shown && replay.pending && !replay.showProgress && <div className="empty-state">Replaying…</div>}
        </Panel>
      </div>

      <section className="panel tt__tabs-panel">
        <div className="tt-tabs" role="tablist">
          <button type="button" role="tab" aria-selected={tab === 'history'} className={tab === 'history' ? 'tt-tab tt-tab--on' : 'tt-tab'} onClick={() => setTab('history')} data-testid="tt-tab-history">
            Field history
          </button>
          <button type="button" role="tab" aria-selected={tab === 'compare'} className={tab === 'compare' ? 'tt-tab tt-tab--on' : 'tt-tab'} onClick={() => setTab('compare')} data-testid="tt-tab-compare">
            Compare
          </button>
        </div>
        <div className="tt-tabs__body" role="tabpanel">
          {tab === 'history' ? (
            <FieldHistoryPanel connectionId={connectionId} streamId={streamId} definition={definition} onPick={pick} />
          ) : (
            <ComparePanel connectionId={connectionId} streamId={streamId} definition={definition} defaultA={firstVersion} defaultB={selected ?? lastVersion ?? 1} />
          )}
        </div>
      </section>
    </div>
  );
}

interface SliderProps {
  events: StoredEvent[];
  first: number;
  last: number | undefined;
  selected: number | undefined;
  loading: boolean;
  onPick: (version: number) => void;
  onTime: (iso: string) => void;
}

function Slider({ events, first, last, selected, loading, onPick, onTime }: SliderProps) {
  const [time, setTime] = useState('');
  const current = events.find((e) => e.version === selected);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const date = new Date(time);
    if (!Number.isNaN(date.getTime())) onTime(date.toISOString());
  };
  const step = (delta: number) => {
    if (selected === undefined || last === undefined) return;
    onPick(Math.min(last, Math.max(first, selected + delta)));
  };
  return (
    <div className="tt-slider panel" data-testid="tt-slider">
      <div className="tt-slider__main">
        <Button size="sm" onClick={() => step(-1)} disabled={selected === undefined || selected <= first} aria-label="Previous version" data-testid="tt-prev">
          ‹
        </Button>
        <input
          type="range"
          className="tt-slider__range"
          min={first}
          max={last ?? first}
          step={1}
          value={selected ?? first}
          disabled={loading || last === undefined}
          aria-label="Version"
          onChange={(e) => onPick(Number(e.target.value))}
          data-testid="tt-range"
        />
        <Button size="sm" onClick={() => step(1)} disabled={selected === undefined || last === undefined || selected >= last} aria-label="Next version" data-testid="tt-next">
          ›
        </Button>
        <span className="tt-slider__value" data-testid="tt-version">
          {selected !== undefined ? `v${selected}` : '—'}
          <span className="tt__muted"> / {last ?? '…'}</span>
        </span>
      </div>
      <div className="tt-slider__info">
        <span className="tt__muted nowrap">
          {current ? (
            <>
              <strong className="tt-slider__type">{current.type}</strong> {current.timestamp ? formatTimestamp(current.timestamp) : ''}
            </>
          ) : (
            ' '
          )}
        </span>
        <form className="tt-slider__time" onSubmit={submit}>
          <label htmlFor="tt-time" className="tt__muted">
            State at time
          </label>
          <input id="tt-time" className="input" type="datetime-local" step={1} value={time} onChange={(e) => setTime(e.target.value)} data-testid="tt-time" />
          <Button size="sm" type="submit" disabled={time === ''} data-testid="tt-time-go">
            Go
          </Button>
        </form>
      </div>
    </div>
  );
}

function EventList({ events, selected, onPick, loading }: { events: StoredEvent[]; selected: number | undefined; onPick: (version: number) => void; loading: boolean }) {
  const listRef = useRef<HTMLDivElement>(null);
  // Keep the selected event in view as the slider moves.
  useEffect(() => {
    const row = listRef.current?.querySelector<HTMLElement>(`[data-version="${selected}"]`);
    row?.scrollIntoView({ block: 'center' });
  }, [selected, events]);
  if (loading) return <div className="empty-state">Loading events…</div>;
  if (events.length === 0) return <div className="empty-state">This stream has no events.</div>;
  return (
    <div className="tt-events" ref={listRef} role="listbox" aria-label="Events" data-testid="tt-events">
      {events.map((event) => {
        const on = event.version === selected;
        const future = selected !== undefined && event.version > selected;
        return (
          <div
            key={event.version}
            role="option"
            aria-selected={on}
            tabIndex={on ? 0 : -1}
            className={['tt-event', on ? 'tt-event--on' : '', future ? 'tt-event--future' : ''].filter(Boolean).join(' ')}
            onClick={() => onPick(event.version)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault();
                onPick(event.version);
              }
            }}
            data-testid="tt-event"
            data-version={event.version}
            data-type={event.type}
          >
            <span className="mono num">{event.version}</span>
            <span className="clip tt-event__type" title={event.type}>
              {event.type}
            </span>
            <span className="nowrap tt__muted">{event.timestamp ? formatTimestamp(event.timestamp) : '—'}</span>
          </div>
        );
      })}
    </div>
  );
}
