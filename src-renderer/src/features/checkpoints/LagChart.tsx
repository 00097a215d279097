import { keepPreviousData } from '@tanstack/react-query';
import { useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { CheckpointKeyInput } from '../../../../src-shared/schemas/checkpoints';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { SegmentedField } from '../../ui/inputs';
import { Panel } from '../../ui/Panel';
import { durationTicks, formatDurationTick, timeTicks } from '../../ui/chart-ticks';
import { formatClock, formatTimestamp, zoneLabel, zoneOffsetMs } from '../../ui/time';
import { formatDuration, formatEvents } from './format';

export const RANGES = [
  { value: '15m', label: '15 min', ms: 15 * 60_000 },
  { value: '1h', label: '1 h', ms: 3_600_000 },
  { value: '6h', label: '6 h', ms: 6 * 3_600_000 },
  { value: '24h', label: '24 h', ms: 24 * 3_600_000 },
] as const;
export type RangeName = (typeof RANGES)[number]['value'];

/** Refetched as often as the engine samples, so the line grows while the screen is open. */
const REFRESH_MS = 5_000;

interface LagChartProps {
  connectionId: string;
  checkpoint: CheckpointKeyInput;
  range: RangeName;
  onRange: (range: RangeName) => void;
}

const clock = (ms: number): string => formatClock(new Date(ms).toISOString());

/** A projector's lag in events and in time over the chosen range, from the engine's background samples. */
export function LagChart({ connectionId, checkpoint, range, onRange }: LagChartProps) {
  const span = RANGES.find((r) => r.value === range)?.ms ?? 3_600_000;
  // The range ends now; rounded to the refresh so the query key changes once per refresh, not per render.
  const to = Math.ceil(Date.now() / REFRESH_MS) * REFRESH_MS;
  const history = useOperation(
    'checkpoints.history',
    { connectionId, key: checkpoint, from: new Date(to - span).toISOString(), to: new Date(to).toISOString(), maxPoints: 600 },
    { refetchInterval: REFRESH_MS, placeholderData: keepPreviousData, retry: false },
  );
  const points = useMemo(
    () => (history.data?.samples ?? []).map((s) => ({ at: Date.parse(s.at), events: s.lagEvents, seconds: s.lagMs === null ? null : s.lagMs / 1000 })),
    [history.data],
  );
  // The lag-in-time axis ticks at round durations over the largest lag shown (in seconds, like the data).
  const secondsTicks = useMemo(() => durationTicks(points.reduce((max, p) => Math.max(max, (p.seconds ?? 0) * 1000), 0)).map((ms) => ms / 1000), [points]);
  const name = `${checkpoint.projector}${checkpoint.source && checkpoint.source !== 'events' ? ` · ${checkpoint.source}` : ''}`;
  return (
    <Panel
      title={`Lag of ${name}`}
      testId="lag-chart"
      actions={
        <SegmentedField label="Range" value={range} options={RANGES.map(({ value, label }) => ({ value, label }))} onChange={onRange} testId="lag-range" />
      }
    >
      {history.error && (
        <Alert tone="danger" title="Could not read the lag history">
          {history.error.message}
        </Alert>
      )}
      {history.data && points.length === 0 && (
        <p className="muted" data-testid="lag-chart-empty">
          No samples in this range yet: the engine samples every {Math.round(history.data.intervalMs / 1000)} s while this connection is watched.
        </p>
      )}
      {points.length > 0 && (
        <div
          className="checkpoints__chart"
          data-testid="lag-chart-plot"
          data-points={points.length}
          data-last-events={points[points.length - 1]?.events ?? ''}
          data-max-events={points.reduce((max, p) => Math.max(max, p.events ?? 0), 0)}
          data-domain={`${to - span},${to}`}
        >
          <ResponsiveContainer width="100%" height={260}>
            <LineChart data={points} margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#e3e7ee" />
              {/* The whole chosen range, ending now, even where the engine has no samples yet. */}
              <XAxis
                dataKey="at"
                type="number"
                scale="time"
                domain={[to - span, to]}
                allowDataOverflow
                ticks={timeTicks(to - span, to, 6, zoneOffsetMs(new Date(to)))}
                tickFormatter={clock}
                label={{ value: zoneLabel(new Date(to)), position: 'insideBottomRight', offset: -4, fontSize: 11 }}
              />
              <YAxis yAxisId="events" allowDecimals={false} tickFormatter={(v: number) => formatEvents(v)} />
              <YAxis
                yAxisId="seconds"
                orientation="right"
                width={72}
                ticks={secondsTicks}
                domain={[0, secondsTicks[secondsTicks.length - 1]!]}
                interval={0}
                tickFormatter={(v: number) => formatDurationTick(v * 1000)}
              />
              <Tooltip
                labelFormatter={(v) => formatTimestamp(new Date(Number(v)).toISOString())}
                formatter={(value, key) => (key === 'Lag (events)' ? formatEvents(Number(value)) : formatDuration(Number(value) * 1000))}
              />
              <Legend />
              <Line
                yAxisId="events"
                type="stepAfter"
                dataKey="events"
                name="Lag (events)"
                stroke="#1f5fbf"
                dot={false}
                isAnimationActive={false}
                connectNulls
              />
              <Line yAxisId="seconds" type="linear" dataKey="seconds" name="Lag (time)" stroke="#c26a00" dot={false} isAnimationActive={false} connectNulls />
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
    </Panel>
  );
}
