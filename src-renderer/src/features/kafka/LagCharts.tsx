import { useState } from 'react';
import { Area, AreaChart, Brush, CartesianGrid, Legend, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { SERIES_COLORS, STATUS_COLORS, statusRuns, timeOf, type ChartRow } from './kafka-view';

interface LagChartsProps {
  rows: ChartRow[];
  partitions: string[];
  sloSeconds: number;
}

/**
 * Lag in messages (with the zoom brush) and in seconds (with the SLO line),
 * stacked by partition, and the status timeline beneath, all over the same
 * zoomed range.
 */
export function LagCharts({ rows, partitions, sloSeconds }: LagChartsProps) {
  const [zoom, setZoom] = useState<{ start: number; end: number } | undefined>();
  const start = Math.min(zoom?.start ?? 0, rows.length - 1);
  const end = Math.min(zoom?.end ?? rows.length - 1, rows.length - 1);
  const shown = rows.slice(start, end + 1);
  // The SLO holds per partition: the worst partition's lag is what is compared with it.
  const worstSeconds = Math.max(0, ...shown.flatMap((row) => partitions.map((key) => Number(row[`s:${key}`] ?? 0))));

  return (
    <div className="kafka-charts" data-testid="kafka-lag-chart" data-points={rows.length}>
      <h4 className="kafka-charts__title">Messages behind</h4>
      <div className="kafka-charts__chart">
        <ResponsiveContainer width="100%" height="100%">
          <AreaChart data={rows} margin={{ top: 8, right: 48, bottom: 4, left: 24 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e3e6eb" />
            <XAxis dataKey="at" type="category" tickFormatter={timeOf} tick={{ fontSize: 11 }} minTickGap={32} />
            <YAxis tick={{ fontSize: 11 }} allowDecimals={false} width={56} />
            <Tooltip labelFormatter={(at) => timeOf(Number(at))} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {partitions.map((key, i) => (
              <Area key={key} dataKey={`m:${key}`} name={key} stackId="m" type="stepAfter" stroke={SERIES_COLORS[i % SERIES_COLORS.length]} fill={SERIES_COLORS[i % SERIES_COLORS.length]} fillOpacity={0.35} isAnimationActive={false} />
            ))}
            {/* A brush over fewer than three points has nothing to zoom and draws at NaN. */}
            {rows.length > 2 && (
              <Brush dataKey="at" height={18} tickFormatter={timeOf} {...(zoom ? { startIndex: start, endIndex: end } : {})} onChange={(r) => setZoom({ start: r.startIndex ?? 0, end: r.endIndex ?? rows.length - 1 })} />
            )}
          </AreaChart>
        </ResponsiveContainer>
      </div>

      <h4 className="kafka-charts__title">
        Seconds behind <span className="muted">(stacked by partition; SLO {sloSeconds} s per partition{worstSeconds > sloSeconds ? `, exceeded: worst partition ${Math.round(worstSeconds)} s` : ''})</span>
      </h4>
      <div className="kafka-charts__chart kafka-charts__chart--small" data-testid="kafka-seconds-chart">
        <ResponsiveContainer width="100%" height="100%">
          <AreaChart data={shown} margin={{ top: 8, right: 48, bottom: 4, left: 24 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e3e6eb" />
            <XAxis dataKey="at" type="category" tickFormatter={timeOf} tick={{ fontSize: 11 }} minTickGap={32} />
            <YAxis tick={{ fontSize: 11 }} width={56} domain={[0, 'auto']} />
            <Tooltip labelFormatter={(at) => timeOf(Number(at))} formatter={(value) => `${Number(value).toFixed(1)} s`} />
            {partitions.map((key, i) => (
              <Area key={key} dataKey={`s:${key}`} name={key} stackId="s" type="monotone" stroke={SERIES_COLORS[i % SERIES_COLORS.length]} fill={SERIES_COLORS[i % SERIES_COLORS.length]} fillOpacity={0.35} isAnimationActive={false} />
            ))}
            <ReferenceLine y={sloSeconds} ifOverflow="extendDomain" stroke="#c0282d" strokeDasharray="6 3" label={{ value: `SLO ${sloSeconds} s`, position: 'insideTopRight', fontSize: 11, fill: '#c0282d' }} />
          </AreaChart>
        </ResponsiveContainer>
      </div>

      <StatusTimeline rows={shown} />
    </div>
  );
}

/** The group's status over the shown range: one coloured band per run of equal status. */
function StatusTimeline({ rows }: { rows: ChartRow[] }) {
  const runs = statusRuns(rows);
  const from = rows[0]?.at ?? 0;
  const span = Math.max(1, (rows[rows.length - 1]?.at ?? 0) - from);
  return (
    <div className="kafka-timeline" data-testid="kafka-status-timeline">
      <div className="kafka-timeline__bar">
        {runs.map((run) => (
          <span
            key={run.from}
            className="kafka-timeline__run"
            data-status={run.status}
            title={`${run.status} ${timeOf(run.from)}–${timeOf(run.to)}`}
            style={{ left: `${((run.from - from) / span) * 100}%`, width: `${Math.max(0.5, ((run.to - run.from) / span) * 100)}%`, background: STATUS_COLORS[run.status] }}
          />
        ))}
      </div>
      <div className="kafka-timeline__legend muted">
        {[...new Set(runs.map((r) => r.status))].map((status) => (
          <span key={status}>
            <i style={{ background: STATUS_COLORS[status] }} /> {status}
          </span>
        ))}
      </div>
    </div>
  );
}
