import { useMemo, useState } from 'react';
import { Area, AreaChart, Brush, CartesianGrid, ComposedChart, Legend, Line, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { sloVerdict, topPartitionsBySeconds, type SloVerdict } from '../../../../src-shared/kafka-lag-series';
import type { LagPoint } from '../../../../src-shared/schemas/kafka';
import { durationTicks, formatDurationTick, timeTicks } from '../../ui/chart-ticks';
import { SegmentedField } from '../../ui/inputs';
import { zoneLabel, zoneOffsetMs } from '../../ui/time';
import { SERIES_COLORS, STATUS_COLORS, chartRows, formatSeconds, statusRuns, timeOf, type ChartRow } from './kafka-view';

/** More lines than this are unreadable: the per-partition view draws the partitions furthest behind. */
export const PER_PARTITION_LINES = 8;

type SecondsView = 'worst' | 'partitions';
const SECONDS_VIEWS: { value: SecondsView; label: string }[] = [
  { value: 'worst', label: 'Worst partition' },
  { value: 'partitions', label: 'Per partition' },
];

interface LagChartsProps {
  points: LagPoint[];
  partitions: string[];
  /** The chosen range: unzoomed, the time axis spans it up to now, even where there are no samples yet. */
  rangeMs: number;
  sloSeconds: number;
}

/**
 * Messages behind over all partitions (stacked by partition, with the zoom
 * brush), seconds behind at the worst partition or per partition (with the
 * SLO line, which holds per partition), and the status timeline beneath, all
 * over the same zoomed range. Seconds are never stacked: they do not add up.
 */
export function LagCharts({ points, partitions, rangeMs, sloSeconds }: LagChartsProps) {
  const [zoom, setZoom] = useState<{ start: number; end: number } | undefined>();
  const [view, setView] = useState<SecondsView>('worst');
  const rows = useMemo(() => chartRows(points, partitions), [points, partitions]);
  const start = Math.min(zoom?.start ?? 0, rows.length - 1);
  const end = Math.min(zoom?.end ?? rows.length - 1, rows.length - 1);
  const shown = rows.slice(start, end + 1);
  const shownPoints = useMemo(() => points.slice(start, end + 1), [points, start, end]);
  const verdict = useMemo(() => sloVerdict(shownPoints, sloSeconds), [shownPoints, sloSeconds]);
  const lines = useMemo(() => topPartitionsBySeconds(shownPoints, partitions, PER_PARTITION_LINES), [shownPoints, partitions]);
  // Unzoomed, the chosen range ending at the last sample (sampled every few seconds: "now"); zoomed, the brushed samples.
  const lastAt = rows[rows.length - 1]?.at ?? 0;
  const domain: [number, number] = zoom ? [shown[0]?.at ?? lastAt, shown[shown.length - 1]?.at ?? lastAt] : [lastAt - rangeMs, lastAt];
  const xTicks = timeTicks(domain[0], domain[1], 6, zoneOffsetMs(new Date(lastAt)));
  const secondsTicks = useMemo(() => {
    const keys = view === 'worst' ? ['worst'] : lines.shown.map((key) => `s:${key}`);
    const max = shown.reduce((most, row) => Math.max(most, ...keys.map((key) => Number(row[key] ?? 0))), sloSeconds);
    return durationTicks(max * 1000).map((ms) => ms / 1000);
  }, [shown, view, lines.shown, sloSeconds]);
  const timeAxis = (
    <XAxis
      dataKey="at"
      type="number"
      scale="time"
      domain={domain}
      allowDataOverflow
      ticks={xTicks}
      tickFormatter={timeOf}
      tick={{ fontSize: 11 }}
      // Tall enough for the zone under the ticks, clear of the zoom brush below.
      height={46}
      label={{ value: zoneLabel(new Date(lastAt)), position: 'insideBottomRight', offset: 10, fontSize: 11 }}
    />
  );

  return (
    <div className="kafka-charts" data-testid="kafka-lag-chart" data-points={rows.length} data-domain={domain.join(',')}>
      <h4 className="kafka-charts__title" data-testid="kafka-messages-title">
        Messages behind, all partitions <span className="muted">(stacked by partition)</span>
      </h4>
      <div className="kafka-charts__chart" data-testid="kafka-messages-chart">
        <ResponsiveContainer width="100%" height="100%">
          <AreaChart data={rows} margin={{ top: 8, right: 48, bottom: 4, left: 24 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e3e6eb" />
            {timeAxis}
            <YAxis tick={{ fontSize: 11 }} allowDecimals={false} width={56} />
            <Tooltip labelFormatter={(at) => timeOf(Number(at))} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {partitions.map((key, i) => (
              <Area
                key={key}
                dataKey={`m:${key}`}
                name={key}
                stackId="m"
                type="stepAfter"
                stroke={SERIES_COLORS[i % SERIES_COLORS.length]}
                fill={SERIES_COLORS[i % SERIES_COLORS.length]}
                fillOpacity={0.35}
                isAnimationActive={false}
              />
            ))}
            {/* A brush over fewer than three points has nothing to zoom and draws at NaN. */}
            {rows.length > 2 && (
              <Brush
                dataKey="at"
                height={18}
                tickFormatter={timeOf}
                {...(zoom ? { startIndex: start, endIndex: end } : {})}
                onChange={(r) => setZoom({ start: r.startIndex ?? 0, end: r.endIndex ?? rows.length - 1 })}
              />
            )}
          </AreaChart>
        </ResponsiveContainer>
      </div>

      <div className="kafka-charts__head">
        <h4 className="kafka-charts__title" data-testid="kafka-seconds-title">
          {view === 'worst' ? 'Seconds behind, worst partition' : 'Seconds behind, per partition'} <SloStatus verdict={verdict} />
        </h4>
        <SegmentedField label="Show" value={view} options={SECONDS_VIEWS} onChange={setView} testId="kafka-seconds-view" />
      </div>
      <div className="kafka-charts__chart kafka-charts__chart--small" data-testid="kafka-seconds-chart" data-view={view}>
        <ResponsiveContainer width="100%" height="100%">
          <ComposedChart data={shown} margin={{ top: 8, right: 48, bottom: 4, left: 24 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e3e6eb" />
            {timeAxis}
            <YAxis
              tick={{ fontSize: 11 }}
              width={72}
              ticks={secondsTicks}
              domain={[0, secondsTicks[secondsTicks.length - 1]!]}
              interval={0}
              tickFormatter={(v: number) => formatDurationTick(v * 1000)}
            />
            {view === 'worst' ? (
              <>
                <Tooltip
                  labelFormatter={(at) => timeOf(Number(at))}
                  formatter={(value, _name, item) => [seconds(value), `worst: ${String((item.payload as ChartRow).worstPartition)}`]}
                />
                <Area
                  dataKey="worst"
                  name="worst partition"
                  type="monotone"
                  stroke={SERIES_COLORS[0]}
                  fill={SERIES_COLORS[0]}
                  fillOpacity={0.35}
                  isAnimationActive={false}
                />
              </>
            ) : (
              <>
                <Tooltip labelFormatter={(at) => timeOf(Number(at))} formatter={seconds} />
                <Legend wrapperStyle={{ fontSize: 12 }} />
                {lines.shown.map((key) => {
                  const color = SERIES_COLORS[partitions.indexOf(key) % SERIES_COLORS.length];
                  return (
                    <Line key={key} dataKey={`s:${key}`} name={key} type="monotone" stroke={color} dot={false} strokeWidth={1.5} isAnimationActive={false} />
                  );
                })}
              </>
            )}
            <ReferenceLine
              y={sloSeconds}
              ifOverflow="extendDomain"
              stroke="#c0282d"
              strokeDasharray="6 3"
              label={{ value: `SLO ${sloSeconds} s`, position: 'insideTopRight', fontSize: 11, fill: '#c0282d' }}
            />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
      {view === 'partitions' && lines.hidden > 0 && (
        <p className="muted kafka__note" data-testid="kafka-seconds-limited">
          Showing the {lines.shown.length} of {partitions.length} partitions furthest behind in this range; {lines.hidden} more are not drawn.
        </p>
      )}

      <StatusTimeline rows={shown} />
    </div>
  );
}

const seconds = (value: unknown) => `${Number(value).toFixed(1)} s`;

/** The SLO against the worst partition over the shown range: met, or exceeded and where. */
function SloStatus({ verdict }: { verdict: SloVerdict }) {
  const { sloSeconds, breached, worst } = verdict;
  const text =
    breached && worst
      ? `SLO ${sloSeconds} s per partition exceeded: worst ${formatSeconds(worst.seconds)} (${worst.partition} at ${timeOf(Date.parse(worst.at))})`
      : worst
        ? `SLO ${sloSeconds} s per partition met: worst ${formatSeconds(worst.seconds)}`
        : `SLO ${sloSeconds} s per partition; no lag in seconds known in this range`;
  return (
    <span
      className={breached ? 'kafka-charts__slo kafka-charts__slo--breached' : 'kafka-charts__slo muted'}
      data-testid="kafka-slo-status"
      data-breached={breached}
    >
      ({text})
    </span>
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
            style={{
              left: `${((run.from - from) / span) * 100}%`,
              width: `${Math.max(0.5, ((run.to - run.from) / span) * 100)}%`,
              background: STATUS_COLORS[run.status],
            }}
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
