import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { timeAxisProps } from '../../ui/time-axis';
import { formatTimestamp } from '../../ui/time';

/** One reading of the job's speed, when the screen received it. */
export interface RateSample {
  at: number;
  eventsPerSecond: number;
}

const rate = (value: number) => `${Math.round(value).toLocaleString('en-US')}`;

/** Events per second over the job's life, with its time axis (zone shown) and its unit. */
export function RebuildRateChart({ samples }: { samples: readonly RateSample[] }) {
  if (samples.length < 2) return null;
  // Whole seconds at both ends, at least two apart, so even a load of a second has ticks and none repeats.
  const from = Math.floor(samples[0]!.at / 1000) * 1000;
  const to = Math.max(Math.ceil(samples[samples.length - 1]!.at / 1000) * 1000, from + 2000);
  return (
    <div className="rebuilds__chart" data-testid="rebuild-chart" data-points={samples.length} aria-label="events per second over time">
      <div className="rebuilds__chart-unit" data-testid="rebuild-chart-unit">
        events/s
      </div>
      <ResponsiveContainer width="100%" height={140}>
        <LineChart data={[...samples]} margin={{ top: 4, right: 12, bottom: 4, left: 4 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e3e6eb" />
          <XAxis {...timeAxisProps(from, to, 4)} />
          <YAxis tick={{ fontSize: 11 }} width={64} allowDecimals={false} tickFormatter={rate} />
          <Tooltip
            labelFormatter={(at) => formatTimestamp(new Date(Number(at)).toISOString())}
            formatter={(value) => [`${rate(Number(value))} events/s`, 'Speed']}
          />
          <Line dataKey="eventsPerSecond" type="monotone" stroke="currentColor" dot={false} strokeWidth={1.5} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
