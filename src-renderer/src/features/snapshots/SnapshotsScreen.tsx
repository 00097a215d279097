import { useEffect, useState } from 'react';
import type { SnapshotSelection, SnapshotsChangeResult } from '../../../../src-shared/schemas/snapshots';
import { useActiveConnection } from '../../app/active-connection';
import { useQueryState, type Query, type QueryInput } from '../../app/routes';
import { messageOf } from '../../client/errors';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { Panel } from '../../ui/Panel';
import { TextField } from '../../ui/inputs';
import { useDebounced } from '../../ui/use-debounced';
import { useJobs } from '../jobs/use-jobs';
import { DefinitionSelect } from '../time-travel/DefinitionSelect';
import { useDefinitions } from '../time-travel/use-definitions';
import { ChangeDialog, type ChangeKind } from './ChangeDialog';
import { InspectPanel } from './InspectPanel';
import { SnapshotMappingForm } from './SnapshotMappingForm';
import { formatBytes } from '../../ui/format';
import { filterFromQuery, filterInput, filterToQuery, isFiltered, NO_FILTER } from './snapshot-filter';
import { VerifyPanel } from './VerifyPanel';
import './snapshots.css';
import { Time, timeHeader } from '../../ui/Time';

const PAGE = 100;

interface Selected {
  streamId: string;
  version: number;
}

const selectedFromQuery = (q: Query): Selected | undefined => {
  const version = Number(q.version);
  return q.stream && Number.isSafeInteger(version) ? { streamId: q.stream, version } : undefined;
};
const selectedToQuery = (s: Selected | undefined): QueryInput => ({ stream: s?.streamId, version: s?.version });

/** The store's snapshots: list with filters, inspect one beside a replay, verify in bulk, delete or regenerate with a dry run. */
export function SnapshotsScreen() {
  const { active } = useActiveConnection();
  const [text, setText] = useQueryState(filterFromQuery, filterToQuery);
  const [selected, setSelected] = useQueryState(selectedFromQuery, selectedToQuery, { history: 'push' });
  const [definition, setDefinition] = useQueryState(
    (q) => q.definition ?? 'auto',
    (d) => ({ definition: d === 'auto' ? undefined : d }),
    { history: 'push' },
  );
  const [change, setChange] = useState<{ kind: ChangeKind; selection: SnapshotSelection } | undefined>();
  const [lastChange, setLastChange] = useState<SnapshotsChangeResult | undefined>();
  const [cursors, setCursors] = useState<string[]>([]);
  const [mapping, setMapping] = useState(false);
  const debounced = useDebounced(text, 300);
  const { filter, problems } = filterInput(debounced);
  const definitions = useDefinitions();
  const connectionId = active?.id ?? '';
  const after = cursors[cursors.length - 1];
  const list = useOperation(
    'snapshots.list',
    { connectionId, ...filter, limit: PAGE, ...(after ? { after } : {}) },
    { enabled: !!active && active.kind !== 'kafka', retry: false },
  );
  useEffect(() => setCursors([]), [connectionId, JSON.stringify(filter)]);

  if (!active) return <p className="muted">Connecting…</p>;
  if (active.kind === 'kafka')
    return (
      <Alert tone="info" title="No snapshots here">
        Kafka connections keep no snapshots: choose a PostgreSQL or MongoDB connection.
      </Alert>
    );

  const snapshots = list.data?.snapshots ?? [];
  // No snapshot table the preset knows (or a custom event mapping): offer to map one.
  const unmapped = list.error?.code === 'not_found';
  const backend = active.kind === 'mongo' ? 'mongo' : 'postgres';
  return (
    <div className="snapshots">
      <div className="snapshots__actions">
        <Button size="sm" variant="ghost" onClick={() => setMapping(!mapping)} data-testid="snapshots-map">
          {backend === 'postgres' ? 'Use a custom snapshot table…' : 'Use a custom snapshot collection…'}
        </Button>
      </div>
      {(mapping || unmapped) && <SnapshotMappingForm connectionId={connectionId} backend={backend} onDone={() => setMapping(false)} />}
      <VerifyPanel
        connectionId={connectionId}
        definition={definition}
        filter={filter}
        onInspect={setSelected}
        onChange={(kind, selection) => setChange({ kind, selection })}
        definitionPicker={<DefinitionSelect value={definition} definitions={definitions.data?.definitions ?? []} onChange={setDefinition} />}
      />
      <Panel title="Filters" testId="snapshot-filters">
        <div className="snapshots__filters">
          <TextField
            label="Stream type"
            value={text.streamType}
            placeholder="Account"
            testId="snapshot-filter-type"
            onChange={(v) => setText({ ...text, streamType: v })}
          />
          <TextField
            label="Stream prefix"
            value={text.streamPrefix}
            placeholder="account-"
            testId="snapshot-filter-prefix"
            onChange={(v) => setText({ ...text, streamPrefix: v })}
          />
          <TextField
            label="Taken before"
            value={text.takenBefore}
            placeholder="2026-01-31"
            testId="snapshot-filter-before"
            onChange={(v) => setText({ ...text, takenBefore: v })}
          />
          <TextField
            label="Version below"
            value={text.versionBelow}
            placeholder="1000"
            testId="snapshot-filter-version"
            onChange={(v) => setText({ ...text, versionBelow: v })}
          />
          <TextField label="Min size (bytes)" value={text.minSize} testId="snapshot-filter-min" onChange={(v) => setText({ ...text, minSize: v })} />
          <TextField label="Max size (bytes)" value={text.maxSize} testId="snapshot-filter-max" onChange={(v) => setText({ ...text, maxSize: v })} />
        </div>
        {problems.length > 0 && (
          <Alert tone="warning" title="Some filters are ignored">
            {problems.join(' ')}
          </Alert>
        )}
        <div className="snapshots__actions">
          <Button size="sm" variant="ghost" disabled={!isFiltered(filter)} onClick={() => setText(NO_FILTER, 'push')}>
            Clear filters
          </Button>
          <Button
            size="sm"
            variant="danger"
            disabled={!isFiltered(filter)}
            onClick={() => setChange({ kind: 'delete', selection: { kind: 'filter', filter } })}
            data-testid="snapshot-delete-matching"
            title={isFiltered(filter) ? '' : 'Set a filter first'}
          >
            Delete matching…
          </Button>
          <Button
            size="sm"
            disabled={!isFiltered(filter)}
            onClick={() => setChange({ kind: 'regenerate', selection: { kind: 'filter', filter } })}
            data-testid="snapshot-regenerate-matching"
          >
            Regenerate matching…
          </Button>
        </div>
      </Panel>
      {lastChange && !lastChange.dryRun && <ChangeOutcome change={lastChange} />}
      <div className="snapshots__main">
        <Panel title={`Snapshots${list.data ? ` in ${list.data.source}` : ''}`} className="snapshots__list" testId="snapshot-list" flush>
          {list.error && (
            <Alert tone="danger" title="Could not list the snapshots">
              {messageOf(list.error)}
            </Alert>
          )}
          <table className="snapshots__table">
            <thead>
              <tr>
                <th>Stream</th>
                <th>Type</th>
                <th>Version</th>
                <th>{timeHeader('Taken at')}</th>
                <th>Size</th>
                <th>Schema</th>
              </tr>
            </thead>
            <tbody>
              {snapshots.map((s) => {
                const isSelected = selected?.streamId === s.streamId && selected.version === s.version;
                return (
                  <tr
                    key={`${s.streamId}@${s.version}`}
                    className={isSelected ? 'snapshots__row snapshots__row--selected' : 'snapshots__row'}
                    onClick={() => setSelected({ streamId: s.streamId, version: s.version })}
                    data-testid="snapshot-row"
                    data-stream={s.streamId}
                    data-version={s.version}
                  >
                    <td className="mono">{s.streamId}</td>
                    <td>{s.streamType ?? '—'}</td>
                    <td>{s.version}</td>
                    <td>{s.takenAt ? <Time iso={s.takenAt} compact /> : '—'}</td>
                    <td>{formatBytes(s.sizeBytes)}</td>
                    <td>{s.schemaVersion ?? '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {list.isPending && <p className="muted snapshots__empty">Loading…</p>}
          {list.data && snapshots.length === 0 && (
            <p className="muted snapshots__empty">{isFiltered(filter) ? 'No snapshot matches these filters.' : 'This store keeps no snapshots.'}</p>
          )}
          <div className="snapshots__pager">
            <Button size="sm" variant="ghost" disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
              Previous
            </Button>
            <Button
              size="sm"
              variant="ghost"
              disabled={!list.data?.nextCursor}
              onClick={() => list.data?.nextCursor && setCursors([...cursors, list.data.nextCursor])}
              data-testid="snapshot-next"
            >
              Next {PAGE}
            </Button>
          </div>
        </Panel>
        {selected && (
          <InspectPanel
            connectionId={connectionId}
            streamId={selected.streamId}
            version={selected.version}
            definition={definition}
            onChange={(kind) => setChange({ kind, selection: { kind: 'one', streamId: selected.streamId, version: selected.version } })}
            onClose={() => setSelected(undefined)}
          />
        )}
      </div>
      {change && (
        <ChangeDialog
          kind={change.kind}
          connectionId={connectionId}
          selection={change.selection}
          definition={definition}
          onClose={() => setChange(undefined)}
          onDone={(result) => {
            setLastChange(result);
            setChange(undefined);
            if (change.kind === 'delete' && change.selection.kind === 'one') setSelected(undefined);
          }}
        />
      )}
    </div>
  );
}

/** What the last delete or regenerate did: at once, or once its job has finished (the job's own words). */
function ChangeOutcome({ change }: { change: SnapshotsChangeResult }) {
  const jobs = useJobs();
  const job = change.jobId ? jobs?.find((j) => j.id === change.jobId) : undefined;
  if (change.jobId && job?.state !== 'done') {
    const stopped = job && ['failed', 'cancelled', 'paused'].includes(job.state);
    return (
      <Alert tone={stopped ? 'warning' : 'info'} title={stopped ? `The job is ${job.state}` : 'Started'} testId="snapshot-change-done">
        {stopped ? (job.error ?? 'See the Jobs tray.') : `A job is changing ${change.count} snapshots: follow it in the Jobs tray.`}
      </Alert>
    );
  }
  return (
    <Alert tone="success" title="Done" testId="snapshot-change-done">
      {job?.summary ? `${job.summary}.` : `${change.count} snapshot${change.count === 1 ? '' : 's'} changed.`}
    </Alert>
  );
}
