import { useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { InputOf } from '../../../../src-shared/operations';
import type { PipelinePoint } from '../../../../src-shared/schemas/kafka';
import { messageOf } from '../../client/errors';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Badge } from '../../ui/Badge';
import { Panel } from '../../ui/Panel';
import { TextField } from '../../ui/inputs';
import { effectiveStore, StoreLinkBar, useStoreLink } from './LinkedStore';
import { formatCount, formatSeconds, timeOf } from './kafka-view';
import { OutboxGapsPanel } from './OutboxGapsPanel';

interface PipelinePanelProps {
  kafkaConnectionId: string;
  groupId: string;
  /** The group's topics (the line follows one). */
  topics: string[];
  storeConnectionId: string | undefined;
  projection: string;
  onChange: (change: { storeConnectionId?: string; projection?: string }) => void;
}

/** Stage lines: how far each stage is behind the one before it, and the positions themselves (as growth over the range). */
const BACKLOG_LINES = [
  { key: 'relay', name: 'relay (outbox rows not published)', color: '#8e44ad' },
  { key: 'consumer', name: 'consumer (messages not consumed)', color: '#c0282d' },
  { key: 'projector', name: 'projector (consumed, not applied)', color: '#c26a00' },
] as const;
const POSITION_LINES = [
  { key: 'storeHead', name: 'store head', color: '#1f5fbf' },
  { key: 'relayed', name: 'outbox relayed', color: '#8e44ad' },
  { key: 'topicEnd', name: 'topic end', color: '#138d90' },
  { key: 'committed', name: 'committed', color: '#c0282d' },
  { key: 'checkpoint', name: 'read-model checkpoint', color: '#17803a' },
] as const;

/** The guess for a group's projection: the reference projectors' groups end in `<view>-view` (e.g. reference-orders-view → orders_view). */
export function projectionOf(groupId: string): string {
  const m = /([a-z0-9]+)-view$/i.exec(groupId);
  return m ? `${m[1]}_view` : '';
}

/**
 * One lag line from the event store to the read model: store head, outbox
 * relayed position, topic end, the group's committed offsets and the read
 * model's checkpoint, where it is behind and when it catches up.
 */
export function PipelinePanel({ kafkaConnectionId, groupId, topics, storeConnectionId, projection, onChange }: PipelinePanelProps) {
  // The store is the one chosen here or the one linked to the group's topic; otherwise the user is asked, and no figures are shown meanwhile.
  const link = useStoreLink(kafkaConnectionId, topics.length === 1 ? { topic: topics[0]! } : { groupId });
  const store = effectiveStore(link.data, storeConnectionId);
  const input: InputOf<'kafka.pipeline'> | undefined =
    store?.presetConfirmed && projection
      ? { storeConnectionId: store.connectionId, kafkaConnectionId, groupId, projection, ...(topics.length === 1 ? { topic: topics[0]! } : {}) }
      : undefined;

  return (
    <Panel title="Store to read model" testId="kafka-pipeline-panel">
      <StoreLinkBar
        kafkaConnectionId={kafkaConnectionId}
        link={link}
        chosenId={storeConnectionId}
        asking="Which event store feeds this group's topic? Its line is drawn once you choose."
        onChoose={(id) => onChange({ storeConnectionId: id })}
      />
      <div className="kafka-pipeline__controls">
        <TextField
          label="Projection (checkpoint name)"
          value={projection}
          onChange={(value) => onChange({ projection: value })}
          testId="kafka-pipeline-projection"
        />
      </div>
      {input && <PipelineLine input={input} />}
      {input?.topic && <OutboxGapsPanel storeConnectionId={input.storeConnectionId} kafkaConnectionId={kafkaConnectionId} topic={input.topic} />}
    </Panel>
  );
}

function PipelineLine({ input }: { input: InputOf<'kafka.pipeline'> }) {
  const line = useOperation('kafka.pipeline', input, { refetchInterval: 5000, retry: false });
  const history = useOperation('kafka.pipelineHistory', { ...input, lastMs: 3_600_000, maxPoints: 600 }, { refetchInterval: 5000, retry: false });
  const rows = useMemo(() => chartRows(history.data?.points ?? []), [history.data]);

  if (line.error) {
    return (
      <Alert tone="danger" title="Could not read the pipeline" testId="kafka-pipeline-error">
        {messageOf(line.error)}
      </Alert>
    );
  }
  if (!line.data) return <div className="empty-state">Reading the store, the topic and the read model…</div>;
  const p = line.data;
  return (
    <div className="kafka-pipeline" data-testid="kafka-pipeline" data-behind={p.behindAt ?? 'none'}>
      <div className="kafka__summary">
        <Badge tone={p.behindAt ? 'danger' : 'success'} testId="kafka-pipeline-behind">
          {p.behindAt ? `behind at: ${p.behindAt}` : 'caught up'}
        </Badge>
        <span data-testid="kafka-pipeline-summary">{p.summary}</span>
        {p.etaSeconds !== null && (
          <Badge tone="info" testId="kafka-pipeline-eta">
            ETA {formatSeconds(p.etaSeconds)}
          </Badge>
        )}
      </div>
      <table className="kafka-table" data-testid="kafka-pipeline-stages">
        <thead>
          <tr>
            <th>Stage</th>
            <th>What</th>
            <th className="num">Behind</th>
            <th className="num">Moving at</th>
            <th className="num">ETA</th>
            <th>Note</th>
          </tr>
        </thead>
        <tbody>
          {p.stages.map((s) => (
            <tr key={s.stage} data-testid="kafka-pipeline-stage" data-stage={s.stage} className={s.stage === p.behindAt ? 'kafka-pipeline__behind' : undefined}>
              <td>{s.stage}</td>
              <td>{s.label}</td>
              <td className="num">{s.backlog === null ? '—' : formatCount(s.backlog)}</td>
              <td className="num">{s.ratePerSecond === null ? '—' : `${s.ratePerSecond}/s`}</td>
              <td className="num">{s.etaSeconds === null ? '—' : formatSeconds(s.etaSeconds)}</td>
              <td className="muted">{s.note ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted kafka__note">
        Now: store head {p.now.storeHead ?? '—'}, relayed outbox id {p.now.relayed ?? '—'}, topic {p.topic} end {formatCount(p.now.topicEnd)}, committed{' '}
        {formatCount(p.now.committed)}, checkpoint {p.now.checkpoint === null ? '—' : formatCount(p.now.checkpoint)}. Rates over the last{' '}
        {Math.round(p.measuredOverSeconds)} s.
      </p>
      {rows.length > 1 ? (
        <>
          <h4 className="kafka-charts__title">Behind, per stage</h4>
          <StageChart rows={rows} lines={BACKLOG_LINES} prefix="b" testId="kafka-pipeline-chart" points={rows.length} />
          <h4 className="kafka-charts__title">
            Positions{' '}
            <span className="muted">
              (growth since the first point: store positions and outbox ids in events, offsets in messages summed over partitions; other producers on the topic
              add to its lines)
            </span>
          </h4>
          <StageChart rows={rows} lines={POSITION_LINES} prefix="p" testId="kafka-pipeline-positions" />
        </>
      ) : (
        <div className="empty-state">The line is drawn from the samples this view records every 5 s; keep it open.</div>
      )}
    </div>
  );
}

type Row = Record<string, number | null>;

interface StageChartProps {
  rows: Row[];
  lines: readonly { key: string; name: string; color: string }[];
  /** The rows hold each line's values under `<prefix>:<key>` (chartRows). */
  prefix: 'b' | 'p';
  testId: string;
  /** Shown as `data-points` (the number of rows drawn), for the tests that wait for new readings. */
  points?: number;
}

/** One small step chart over the recorded readings, a line per stage. */
function StageChart({ rows, lines, prefix, testId, points }: StageChartProps) {
  return (
    <div className="kafka-charts__chart kafka-charts__chart--small" data-testid={testId} data-points={points}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={rows} margin={{ top: 8, right: 48, bottom: 4, left: 24 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e3e6eb" />
          <XAxis dataKey="at" type="category" tickFormatter={timeOf} tick={{ fontSize: 11 }} minTickGap={32} />
          <YAxis tick={{ fontSize: 11 }} allowDecimals={false} width={56} />
          <Tooltip labelFormatter={(at) => timeOf(Number(at))} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {lines.map((l) => (
            <Line
              key={l.key}
              dataKey={`${prefix}:${l.key}`}
              name={l.name}
              stroke={l.color}
              dot={false}
              type="stepAfter"
              isAnimationActive={false}
              connectNulls
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

function chartRows(points: readonly PipelinePoint[]): Row[] {
  const first = points[0];
  const growth = (value: number | null, base: number | null | undefined) => (value === null || base === null || base === undefined ? null : value - base);
  return points.map((point) => ({
    at: Date.parse(point.at),
    'b:relay': point.backlog.relay,
    'b:consumer': point.backlog.consumer,
    'b:projector': point.backlog.projector,
    'p:storeHead': growth(point.storeHead, first?.storeHead),
    'p:relayed': growth(point.relayed, first?.relayed),
    'p:topicEnd': growth(point.topicEnd, first?.topicEnd),
    'p:committed': growth(point.committed, first?.committed),
    'p:checkpoint': growth(point.checkpoint, first?.checkpoint),
  }));
}
