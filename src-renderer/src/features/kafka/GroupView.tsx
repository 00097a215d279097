import { useState } from 'react';
import { messageOf } from '../../client/errors';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { SegmentedField } from '../../ui/inputs';
import { Panel } from '../../ui/Panel';
import { RANGES, formatCount, type RangeName } from './kafka-view';
import { LagCharts } from './LagCharts';
import { PipelinePanel, projectionOf } from './PipelinePanel';
import { ResetOffsetsDialog } from './ResetOffsetsDialog';
import { SamplerControls } from './SamplerControls';
import { LagSeconds } from './LagSeconds';
import { StatusBadge } from './StatusBadge';

interface GroupViewProps {
  connectionId: string;
  readOnly: boolean;
  groupId: string;
  range: RangeName;
  onRange: (range: RangeName) => void;
  storeConnectionId: string | undefined;
  projection: string | undefined;
  onPipeline: (change: { storeConnectionId?: string; projection?: string }) => void;
}

/** One group: status and reason, members, partitions, lag over time, and the offset reset. */
export function GroupView({ connectionId, readOnly, groupId, range, onRange, storeConnectionId, projection, onPipeline }: GroupViewProps) {
  const [resetting, setResetting] = useState(false);
  const group = useOperation('kafka.group', { connectionId, groupId }, { refetchInterval: 5000, retry: false });
  const settings = useOperation('kafka.samplerSettings', {});
  const rangeMs = RANGES.find((r) => r.value === range)!.ms;
  // The window ends now at each refetch, so it slides with the samples.
  const history = useOperation('kafka.lagHistory', { connectionId, groupId, lastMs: rangeMs }, { refetchInterval: 5000, retry: false });

  if (group.error) {
    return (
      <Alert tone="danger" title={`Could not read group ${groupId}`} testId="kafka-error">
        {messageOf(group.error)}
      </Alert>
    );
  }
  if (!group.data) return <div className="empty-state">Reading the group…</div>;
  const g = group.data;

  return (
    <>
      <Panel
        title={`Group ${g.groupId}`}
        testId="kafka-group"
        actions={
          <Button
            size="sm"
            variant="danger"
            onClick={() => setResetting(true)}
            data-testid="kafka-reset-open"
            title={readOnly ? 'The profile is read-only: the dry run works, the reset is refused' : undefined}
          >
            Reset offsets…
          </Button>
        }
      >
        <div className="kafka__summary">
          <StatusBadge status={g.status} reason={g.reason} testId="kafka-group-status" />
          <span data-testid="kafka-group-reason">{g.reason}</span>
        </div>
        <p className="muted">
          {g.protocolType} group, {g.state}; {formatCount(g.lag)} messages behind,{' '}
          <LagSeconds seconds={g.lagSeconds} basis={g.lagSecondsBasis} testId="kafka-group-lag-seconds" /> at the worst partition.
        </p>
        {g.note && (
          <Alert tone="info" title="Members not shown" testId="kafka-group-note">
            {g.note}
          </Alert>
        )}
        {g.describable && (
          <table className="kafka-table" data-testid="kafka-members">
            <thead>
              <tr>
                <th>Member</th>
                <th>Client</th>
                <th>Host</th>
                <th>Assignment</th>
              </tr>
            </thead>
            <tbody>
              {g.members.length === 0 && (
                <tr>
                  <td colSpan={4} className="muted">
                    No active members.
                  </td>
                </tr>
              )}
              {g.members.map((m) => (
                <tr key={m.memberId}>
                  <td className="mono">{m.memberId}</td>
                  <td>{m.clientId}</td>
                  <td className="mono">{m.host}</td>
                  <td className="mono">{m.assignments.map((a) => `${a.topic}[${a.partitions.join(',')}]`).join(' ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>

      <Panel
        title="Lag over time"
        testId="kafka-lag-panel"
        actions={
          <div className="kafka-sampler">
            {settings.data && <SamplerControls settings={settings.data} connectionId={connectionId} groupId={groupId} />}
            <SegmentedField
              label="Range"
              value={range}
              options={RANGES.map((r) => ({ value: r.value, label: r.label }))}
              onChange={onRange}
              testId="kafka-range"
            />
          </div>
        }
      >
        {history.error && (
          <Alert tone="danger" title="Could not read the lag history">
            {messageOf(history.error)}
          </Alert>
        )}
        {history.data && history.data.points.length === 0 && (
          <div className="empty-state">No samples in this range yet; the sampler records one every few seconds.</div>
        )}
        {history.data && history.data.points.length > 0 && (
          <LagCharts points={history.data.points} partitions={history.data.partitions} rangeMs={rangeMs} sloSeconds={settings.data?.sloSeconds ?? 5} />
        )}
      </Panel>

      <PipelinePanel
        kafkaConnectionId={connectionId}
        groupId={groupId}
        topics={[...new Set(g.partitions.map((p) => p.topic))]}
        storeConnectionId={storeConnectionId}
        projection={projection ?? projectionOf(groupId)}
        onChange={onPipeline}
      />

      <Panel title={`Partitions (${g.partitions.length})`} testId="kafka-partitions">
        <table className="kafka-table">
          <thead>
            <tr>
              <th>Partition</th>
              <th className="num">Committed</th>
              <th className="num">End</th>
              <th className="num">Lag</th>
              <th className="num">Lag (time)</th>
              <th>Status</th>
              <th>Why</th>
              <th>Owner</th>
            </tr>
          </thead>
          <tbody>
            {g.partitions.map((p) => (
              <tr key={`${p.topic}:${p.partition}`} data-testid="kafka-partition-row">
                <td className="mono">
                  {p.topic}[{p.partition}]
                </td>
                <td className="num">{p.committed ?? '—'}</td>
                <td className="num">{p.end}</td>
                <td className="num">{formatCount(p.lag)}</td>
                <td className="num">
                  <LagSeconds seconds={p.lagSeconds} basis={p.lagSecondsBasis} testId="kafka-partition-lag-seconds" />
                </td>
                <td>
                  <StatusBadge status={p.status} reason={p.reason} />
                </td>
                <td className="kafka__reason">{p.reason}</td>
                <td>{p.owner ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="muted kafka__note">
          Lag in time is exact where the message at the committed offset could be read (now minus its timestamp); otherwise it is interpolated on the sampled
          end offsets (extrapolated before the oldest sample), e.g. where retention deleted that message.
        </p>
      </Panel>

      {resetting && <ResetOffsetsDialog connectionId={connectionId} group={g} onClose={() => setResetting(false)} />}
    </>
  );
}
