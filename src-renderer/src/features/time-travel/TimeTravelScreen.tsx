import { useEffect, useMemo, useRef, useState } from 'react';
import { useActiveConnection } from '../../app/active-connection';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Badge } from '../../ui/Badge';
import { Button } from '../../ui/Button';
import { Time } from '../../ui/Time';
import { Panel } from '../../ui/Panel';
import { useDebounced } from '../../ui/use-debounced';
import '../../ui/json-tree.css';
import { ComparePanel } from './ComparePanel';
import { DefinitionSelect } from './DefinitionSelect';
import { DefinitionsFolderDialog } from './DefinitionsFolderDialog';
import { ErrorNote } from './ErrorNote';
import { EventList } from './EventList';
import { EventPayloads } from './EventPayloads';
import { WINDOW_SIZE, windowStart } from './event-window';
import { downloadJson, fileSafe, pathText } from './export-json';
import { FieldHistoryPanel } from './FieldHistoryPanel';
import { StreamPicker } from './StreamPicker';
import { ReplayProgress } from './ReplayProgress';
import { Slider } from './Slider';
import { pathKey, StateTree, type ChangeKind } from './StateTree';
import { StatePersonalData } from './StatePersonalData';
import { SnapshotNote } from './SnapshotNote';
import {
  comparedFromQuery,
  comparedToQuery,
  definitionFromQuery,
  definitionToQuery,
  pointFromQuery,
  pointToQuery,
  tabFromQuery,
  tabToQuery,
  timeTravelHref,
  useTimeTravelLocation,
} from './time-travel-routes';
import { useQueryState } from '../../app/routes';
import { streamHref } from '../browse/browse-routes';
import { useDefinitions } from './use-definitions';
import { moneyOf } from './money';
import { useReplay, type Target } from './use-replay';
import { VerifySnapshotButton } from './VerifySnapshotButton';
import './time-travel.css';

/** Slider moves settle for this long before a replay is asked for. */
const SLIDER_DEBOUNCE_MS = 250;
export function TimeTravelScreen() {
  const { streamId } = useTimeTravelLocation();
  const { active } = useActiveConnection();
  if (!active) return <div className="empty-state">Loading connections…</div>;
  if (!streamId) return <StreamPicker connectionId={active.id} />;
  return <TimeTravelView key={`${active.id}\u0000${streamId}`} connectionId={active.id} streamId={streamId} />;
}

function TimeTravelView({ connectionId, streamId }: { connectionId: string; streamId: string }) {
  // The stream's bounds: its first event (0 in stores that number from 0, such as Message DB; 1 in most) and its last.
  const head = useOperation('streams.read', { connectionId, streamId, direction: 'forward', limit: 1 }, { retry: false });
  const tail = useOperation('streams.read', { connectionId, streamId, direction: 'backward', limit: 1 }, { retry: false });
  const capabilities = useOperation('stores.describe', { connectionId }, { retry: false });
  const firstVersion = head.data?.events[0]?.version ?? capabilities.data?.firstVersion ?? 1;
  const lastVersion = tail.data?.events[0]?.version;

  // The point shown, the tab, the compared points and the definition are the address's (`?version=…` or `?time=…`, `tab`, `a`, `b`, `definition`).
  const [point, setPoint] = useQueryState(pointFromQuery, pointToQuery, { history: 'push' });
  const [tab, setTab] = useQueryState(tabFromQuery, tabToQuery, { history: 'push' });
  const [compared, setCompared] = useQueryState(comparedFromQuery, comparedToQuery, { history: 'push' });
  const [definition, setDefinition] = useQueryState(definitionFromQuery, definitionToQuery, { history: 'push' });
  const version = point.version;
  const timeTarget = point.time;
  const [folderOpen, setFolderOpen] = useState(false);
  const [ignoreSnapshots, setIgnoreSnapshots] = useState(false);
  const definitions = useDefinitions();
  const shownBefore = useRef<number | undefined>(undefined);
  // Until the user picks a version, the screen shows the latest one; while a time resolves, the version shown before it.
  const selected = version ?? (timeTarget !== undefined ? shownBefore.current : undefined) ?? lastVersion;
  useEffect(() => {
    shownBefore.current = selected;
  }, [selected]);
  const from = selected !== undefined ? windowStart(firstVersion, selected) : firstVersion;
  const events = useOperation(
    'streams.read',
    { connectionId, streamId, fromVersion: from, direction: 'forward', limit: WINDOW_SIZE },
    {
      retry: false,
      enabled: lastVersion !== undefined,
      placeholderData: (previous) => previous, // keep the old window on screen while the next one loads
    },
  );
  const list = useMemo(() => (events.data?.events ?? []).filter((e) => e.version >= firstVersion), [events.data, firstVersion]);
  const listed =
    list.length > 0
      ? `v${list[0]!.version.toLocaleString('en-US')}–v${list[list.length - 1]!.version.toLocaleString('en-US')} of ${(lastVersion ?? 0).toLocaleString('en-US')}`
      : '';
  const settled = useDebounced(selected, SLIDER_DEBOUNCE_MS);
  const target: Target | undefined = timeTarget ? { time: timeTarget } : settled !== undefined ? { version: settled } : undefined;
  const replay = useReplay(connectionId, streamId, definition, definitions.revision, target, !ignoreSnapshots);

  // A replay "at a time" lands on a version: move the slider there, once the answer is for that time
  // (until then `replay.data` still answers the previous target).
  const timeAnswered = timeTarget !== undefined && replay.answered !== undefined && 'time' in replay.answered && replay.answered.time === timeTarget;
  // It replaces the time in the address (same history entry): Back then returns to the point before the time was asked.
  const answeredVersion = timeAnswered ? replay.data?.version : undefined;
  useEffect(() => {
    if (answeredVersion !== undefined) setPoint({ version: answeredVersion }, 'replace');
  }, [answeredVersion, setPoint]);

  const steps = useOperation(
    'timeTravel.steps',
    { connectionId, streamId, fromVersion: settled ?? firstVersion, toVersion: settled ?? firstVersion, definition },
    { enabled: settled !== undefined && settled >= firstVersion, retry: false, staleTime: Infinity },
  );
  const step = steps.data?.steps.find((s) => s.event.version === settled);
  const changes = useMemo(() => {
    const map = new Map<string, ChangeKind>();
    for (const entry of step?.diff ?? []) map.set(pathKey(entry.path), entry.kind);
    return map;
  }, [step]);

  const pick = (next: number) => setPoint({ version: next });

  // Under a replay error no state is shown: the last one answered another target (or definition).
  const shown = replay.error ? undefined : replay.data;
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
            <Badge tone="info" testId="tt-definition-used" {...(shown.definitionReason ? { title: shown.definitionReason } : {})}>
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
          <VerifySnapshotButton connectionId={connectionId} streamId={streamId} definition={definition} onMismatch={replay.refresh} />
          <Button
            size="sm"
            disabled={!shown}
            onClick={() => shown && downloadJson(`${fileSafe(streamId)}-v${shown.version}-state.json`, shown)}
            data-testid="tt-export-state"
          >
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
        onTime={(iso) => setPoint({ time: iso })}
      />

      <div className="tt__layout">
        <Panel title={`Events${listed ? ` (${listed})` : ''}`} className="tt__panel" flush>
          <EventList events={list} selected={selected} onPick={pick} loading={events.isPending} />
        </Panel>
        <Panel
          title={
            <>
              State {shown ? <span className="mono">at v{shown.version}</span> : null}
              {shown?.timestamp && (
                <span className="tt__muted">
                  {' '}
                  · <Time iso={shown.timestamp} />
                </span>
              )}
            </>
          }
          className="tt__panel tt__state-panel"
          testId="tt-state-panel"
        >
          {replay.showProgress && replay.pending && <ReplayProgress progress={replay.progress} onCancel={replay.cancel} />}
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
              <SnapshotNote
                connectionId={connectionId}
                streamId={streamId}
                shown={shown}
                ignoringSnapshots={ignoreSnapshots}
                onIgnoreSnapshots={setIgnoreSnapshots}
              />
              {shown.personalData && <StatePersonalData summary={shown.personalData} />}
              {shown.definitionReason && (
                <div className="tt-note tt__muted" data-testid="tt-definition-reason">
                  {shown.definitionReason}
                </div>
              )}
              <StateTree value={shown.state} changes={changes} money={moneyOf(definitions.data?.definitions, shown.definition)} testId="tt-state-tree" />
              {step && (
                <div className="tt-changed" data-testid="tt-changed">
                  <span className="tt__muted">
                    v{step.event.version} <strong>{step.event.type}</strong> changed:
                  </span>{' '}
                  {step.diff.length === 0 ? (
                    <span className="tt__muted">nothing</span>
                  ) : (
                    step.diff.map((d) => (
                      <span key={pathKey(d.path)} className={`tt-chip tt-chip--${d.kind}`}>
                        {pathText(d.path)} ({d.kind})
                      </span>
                    ))
                  )}
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
          <button
            type="button"
            role="tab"
            aria-selected={tab === 'history'}
            className={tab === 'history' ? 'tt-tab tt-tab--on' : 'tt-tab'}
            onClick={() => setTab('history')}
            data-testid="tt-tab-history"
          >
            Field history
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={tab === 'compare'}
            className={tab === 'compare' ? 'tt-tab tt-tab--on' : 'tt-tab'}
            onClick={() => setTab('compare')}
            data-testid="tt-tab-compare"
          >
            Compare
          </button>
        </div>
        <div className="tt-tabs__body" role="tabpanel">
          {tab === 'history' ? (
            <FieldHistoryPanel connectionId={connectionId} streamId={streamId} definition={definition} state={shown?.state} onPick={pick} />
          ) : (
            <ComparePanel
              connectionId={connectionId}
              streamId={streamId}
              definition={definition}
              defaultA={firstVersion}
              defaultB={selected ?? lastVersion ?? firstVersion}
              first={firstVersion}
              last={lastVersion}
              definitions={definitions.data?.definitions}
              compared={compared}
              onCompare={setCompared}
            />
          )}
        </div>
      </section>
    </div>
  );
}
