import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { CheckpointKeyInput } from '../../../../src-shared/schemas/checkpoints';
import { useOperation } from '../../client/operation-hooks';
import { timeAxisProps } from '../../ui/time-axis';
import { formatTimestamp } from '../../ui/time';

export interface DriftCheckPoint {
  at: string;
  rowsChecked: number;
  drifted: number;
}

const percent = (value: number) => `${value.toLocaleString('en-US', { maximumFractionDigits: 2 })} %`;

/**
 * The drift rate of a model's past checks (drifted rows per 100 checked) beside its projector's lag in events over the same
 * time, so "the rows went wrong when the projector fell behind" (or did not) reads off one chart.
 */
export function DriftRateChart({
  connectionId,
  history,
  projector,
}: {
  connectionId: string;
  history: readonly DriftCheckPoint[];
  projector: CheckpointKeyInput | undefined;
}) {
  const checks = history.map((h) => ({ at: new Date(h.at).getTime(), drift: h.rowsChecked > 0 ? (100 * h.drifted) / h.rowsChecked : 0 }));
  const from = checks.length ? Math.min(checks[0]!.at, Date.now() - 3_600_000) : Date.now() - 3_600_000;
  const to = Math.max(Date.now(), from + 60_000);
  // Rounded to the minute, so the query key does not change at every render.
  const range = { from: new Date(Math.floor(from / 60_000) * 60_000).toISOString(), to: new Date(Math.ceil(to / 60_000) * 60_000).toISOString() };
  const lag = useOperation('checkpoints.history', { connectionId, key: projector!, ...range, maxPoints: 300 }, { enabled: projector !== undefined });
  const lagPoints = (lag.data?.samples ?? []).filter((s) => s.lagEvents !== null).map((s) => ({ at: new Date(s.at).getTime(), lag: s.lagEvents! }));
  if (checks.length === 0) return null;
  const data = [...checks, ...lagPoints].sort((a, b) => a.at - b.at);
  return (
    <div
      className="drift__chart"
      data-testid="drift-chart"
      data-checks={checks.length}
      aria-label="drift rate of past checks and the projector's lag over time"
    >
      <ResponsiveContainer width="100%" height={160}>
        <LineChart data={data} margin={{ top: 4, right: 12, bottom: 4, left: 4 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e3e6eb" />
          <XAxis {...timeAxisProps(from, to, 4)} />
          <YAxis yAxisId="drift" tick={{ fontSize: 11 }} width={56} tickFormatter={percent} />
          {projector && <YAxis yAxisId="lag" orientation="right" tick={{ fontSize: 11 }} width={56} allowDecimals={false} />}
          <Tooltip
            labelFormatter={(at) => formatTimestamp(new Date(Number(at)).toISOString())}
            formatter={(value, name) => (name === 'Drift rate' ? [percent(Number(value)), name] : [`${Number(value).toLocaleString('en-US')} events`, name])}
          />
          <Legend wrapperStyle={{ fontSize: 11 }} />
          <Line yAxisId="drift" name="Drift rate" dataKey="drift" stroke="var(--color-danger)" connectNulls dot isAnimationActive={false} />
          {projector && (
            <Line
              yAxisId="lag"
              name={`Lag of ${projector.projector}`}
              dataKey="lag"
              stroke="var(--color-primary)"
              connectNulls
              dot={false}
              isAnimationActive={false}
            />
          )}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
