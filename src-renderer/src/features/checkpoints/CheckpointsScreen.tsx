import { keepPreviousData } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import type { CheckpointRow, ProjectorGroup } from '../../../../src-shared/schemas/checkpoints';
import { useActiveConnection } from '../../app/active-connection';
import { useQueryState, type Query, type QueryInput } from '../../app/routes';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { SelectField } from '../../ui/inputs';
import { Panel } from '../../ui/Panel';
import { StoreProblem } from '../browse/StoreProblem';
import { needsDetection } from '../browse/use-browse';
import { describeExtras, formatAgo, formatDuration, formatEvents, keyFromParam, keyParam } from './format';
import { CheckpointMappingForm } from './CheckpointMappingForm';
import { LagChart, RANGES, type RangeName } from './LagChart';
import { ResetDialog } from './ResetDialog';
import { StatusBadge } from './StatusBadge';
import { DriftStatusPanel } from '../rebuilds/DriftStatusPanel';
import './checkpoints.css';
import { formatClock } from '../../ui/time';

/** How often the list refreshes; the previous answer stays on screen meanwhile, so nothing flickers. */
const REFRESH_MS = 5_000;

interface CheckpointsView {
  /** The charted checkpoint (`keyParam`). */
  chart?: string;
  range: RangeName;
  kafka?: string;
}

function viewFromQuery(query: Query): CheckpointsView {
  const range = RANGES.find((r) => r.value === query.range)?.value ?? '15m';
  return { range, ...(query.chart ? { chart: query.chart } : {}), ...(query.kafka ? { kafka: query.kafka } : {}) };
}
const viewToQuery = (view: CheckpointsView): QueryInput => ({ chart: view.chart, range: view.range, kafka: view.kafka });

export function CheckpointsScreen() {
  const { active } = useActiveConnection();
  const [view, setView] = useQueryState(viewFromQuery, viewToQuery, { history: 'push' });
  const [resetting, setResetting] = useState<CheckpointRow | undefined>();
  const [mapping, setMapping] = useState(false);
  const profiles = useOperation('connections.list', {});
  const kafkaProfiles = (profiles.data ?? []).filter((p) => p.kind === 'kafka');
  const list = useOperation(
    'checkpoints.list',
    { connectionId: active?.id ?? '', ...(view.kafka ? { kafkaConnectionId: view.kafka } : {}) },
    { enabled: active !== undefined, refetchInterval: REFRESH_MS, placeholderData: keepPreviousData, retry: false },
  );

  if (!active || needsDetection(list.error)) return <StoreProblem connection={active} error={list.error} title="Could not read the checkpoints" />;

  // No checkpoint table the preset knows (or a custom event mapping): offer to map one.
  const unmapped = list.error?.code === 'not_found';
  const backend = active.kind === 'mongo' ? 'mongo' : 'postgres';
  const groups = list.data?.projectors ?? [];
  const rows = groups.flatMap((g) => g.rows);
  const charted = keyFromParam(view.chart) ?? rows.find((r) => r.status !== 'caught-up' && r.role === 'projector') ?? rows[0];
  const chartKey = charted ? { store: charted.store, projector: charted.projector, source: charted.source } : undefined;
  const chartParam = chartKey ? keyParam(chartKey) : undefined;

  return (
    <div className="checkpoints" data-testid="checkpoints-screen">
      <Panel
        title="Projector checkpoints"
        flush
        testId="checkpoints-table"
        actions={
          <>
            {kafkaProfiles.length > 0 && (
              <SelectField
                label="Kafka connection"
                value={view.kafka ?? ''}
                options={[{ value: '', label: 'None' }, ...kafkaProfiles.map((p) => ({ value: p.id, label: p.name }))]}
                onChange={(kafka) => setView({ ...view, ...(kafka ? { kafka } : { kafka: undefined }) })}
                testId="checkpoints-kafka"
              />
            )}
            {active.kind !== 'kafka' && (
              <Button size="sm" variant="ghost" onClick={() => setMapping(!mapping)} data-testid="checkpoints-map">
                Custom mapping…
              </Button>
            )}
            <span className="muted" data-testid="checkpoints-refreshed">
              {list.data ? `Head ${list.data.head ?? '—'} · refreshed ${formatClock(list.data.at)}` : 'Loading…'}
            </span>
          </>
        }
      >
        {list.error && (
          <Alert tone="danger" title="Could not read the checkpoints">
            {list.error.message}
          </Alert>
        )}
        {list.data?.notes.map((note) => (
          <Alert key={note} tone="info" title="Note">
            {note}
          </Alert>
        ))}
        {list.data && groups.length === 0 && <p className="muted checkpoints__empty">No projector has stored a checkpoint yet.</p>}
        {groups.length > 0 && (
          <table className="data-table checkpoints__table">
            <thead>
              <tr>
                <th>Status</th>
                <th>Projector</th>
                <th>Source</th>
                <th className="num">Position</th>
                <th className="num">Head</th>
                <th className="num">Lag (events)</th>
                <th className="num">Lag (time)</th>
                <th>Last update</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {groups.map((group) => (
                <ProjectorRows
                  key={group.projector}
                  group={group}
                  chartParam={chartParam}
                  onChart={(row) => setView({ ...view, chart: keyParam(row) })}
                  onReset={setResetting}
                />
              ))}
            </tbody>
          </table>
        )}
      </Panel>
      {/* Lag says how far a projector is; drift says whether what it wrote is right. */}
      <DriftStatusPanel />
      {(mapping || unmapped) && active.kind !== 'kafka' && (
        <CheckpointMappingForm connectionId={active.id} backend={backend} onDone={() => setMapping(false)} />
      )}
      {chartKey && <LagChart connectionId={active.id} checkpoint={chartKey} range={view.range} onRange={(range) => setView({ ...view, range })} />}
      {resetting && (
        <ResetDialog
          connectionId={active.id}
          kafkaConnectionId={view.kafka}
          row={resetting}
          others={rows.filter((r) => r !== resetting && r.role === 'projector' && r.sourceKind === resetting.sourceKind && r.position !== null)}
          onClose={() => setResetting(undefined)}
        />
      )}
    </div>
  );
}

interface ProjectorRowsProps {
  group: ProjectorGroup;
  chartParam: string | undefined;
  onChart: (row: CheckpointRow) => void;
  onReset: (row: CheckpointRow) => void;
}

/** One row per projector; a projector read from several partitions gets a summary row and one row per partition under it. */
function ProjectorRows({ group, chartParam, onChart, onReset }: ProjectorRowsProps) {
  const single = group.rows.length === 1 ? group.rows[0] : undefined;
  if (single) return <CheckpointLine row={single} chartParam={chartParam} onChart={onChart} onReset={onReset} />;
  return (
    <Fragment>
      <tr className="checkpoints__group" data-testid="checkpoint-group" data-projector={group.projector}>
        <td>
          <StatusBadge status={group.status} />
        </td>
        <td className="checkpoints__name">{group.projector}</td>
        <td className="muted">{group.rows.length} partitions</td>
        <td />
        <td />
        <td className="num">{formatEvents(group.lagEvents, group.lagEstimated)}</td>
        <td className="num">{formatDuration(group.lagMs)}</td>
        <td />
        <td />
      </tr>
      {group.rows.map((row) => (
        <CheckpointLine key={`${row.store}/${row.source}`} row={row} nested chartParam={chartParam} onChart={onChart} onReset={onReset} />
      ))}
    </Fragment>
  );
}

function CheckpointLine({ row, nested = false, chartParam, onChart, onReset }: { row: CheckpointRow; nested?: boolean } & Omit<ProjectorRowsProps, 'group'>) {
  const charted = chartParam === keyParam(row);
  return (
    <tr
      className={`${nested ? 'checkpoints__nested' : ''} ${charted ? 'checkpoints__charted' : ''}`}
      data-testid="checkpoint-row"
      data-projector={row.projector}
      data-source={row.source}
      data-status={row.status}
      data-lag-events={row.lag?.events ?? ''}
    >
      <td>
        <StatusBadge status={row.status} note={row.note} />
      </td>
      <td className="checkpoints__name">
        {nested ? '' : row.projector}
        {row.role === 'mark' && <span className="muted"> (store mark)</span>}
      </td>
      <td className="mono">
        {row.source || '—'}
        {row.extras && (
          <div className="checkpoints__extras" data-testid="checkpoint-extras">
            {describeExtras(row.extras)}
          </div>
        )}
      </td>
      <td className="num mono">{row.position ?? '—'}</td>
      <td className="num mono">{row.head ?? '—'}</td>
      <td className="num" title={row.lag?.estimated ? 'Estimated from the positions nearest the checkpoint' : undefined}>
        {row.lag ? formatEvents(row.lag.events, row.lag.estimated) : '—'}
      </td>
      <td className="num">{formatDuration(row.lagMs)}</td>
      <td className="muted" title={row.updatedAt ?? undefined}>
        {formatAgo(row.updatedAt)}
      </td>
      <td className="checkpoints__actions">
        <Button size="sm" variant="ghost" onClick={() => onChart(row)} data-testid="checkpoint-chart">
          Chart
        </Button>
        {row.role === 'projector' && (
          <Button size="sm" onClick={() => onReset(row)} data-testid="checkpoint-reset">
            Reset…
          </Button>
        )}
      </td>
    </tr>
  );
}
