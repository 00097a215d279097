import { useActiveConnection } from '../../app/active-connection';
import { buildHash } from '../../app/routes';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Badge, type Tone } from '../../ui/Badge';
import { Panel } from '../../ui/Panel';
import { formatTimestamp } from '../../ui/time';

const STATES: Record<string, { label: string; tone: Tone }> = {
  unchecked: { label: 'not checked yet', tone: 'neutral' },
  checking: { label: 'checking', tone: 'info' },
  clean: { label: 'no drift', tone: 'success' },
  drifted: { label: 'drifted', tone: 'danger' },
  failed: { label: 'check failed', tone: 'warning' },
};

/** Refreshed often enough that a scheduled check's outcome shows within a minute. */
const REFRESH_MS = 15_000;

/**
 * The read models of the active event store as their newest drift check found them (scheduled at the Settings'
 * interval, or run by hand), with a warning when one drifted: shown on the Overview and the Checkpoints screen.
 */
export function DriftStatusPanel() {
  const { active } = useActiveConnection();
  const supported = active?.kind === 'postgres' || active?.kind === 'mongo';
  const status = useOperation('drift.status', { connectionId: active?.id ?? '' }, { enabled: supported, refetchInterval: REFRESH_MS });
  if (!supported || !status.data || status.data.models.length === 0) return null;
  const drifted = status.data.models.filter((m) => m.state === 'drifted');
  const every = status.data.everyMinutes;
  return (
    <Panel title="Read-model drift" testId="drift-status">
      {drifted.length > 0 && (
        <Alert tone="danger" title={`${drifted.map((m) => m.model).join(', ')} drifted from the log`} testId="drift-status-warning">
          {drifted
            .map(
              (m) =>
                `${m.model}: ${m.last!.drifted.toLocaleString('en-US')} of ${m.last!.rowsChecked.toLocaleString('en-US')} rows checked differ from their events`,
            )
            .join('; ')}
          . Open the report to see which rows and why, and repair just those.
        </Alert>
      )}
      <table className="drift__status-table">
        <tbody>
          {status.data.models.map((m) => {
            const state = STATES[m.state]!;
            return (
              <tr key={`${m.schema}.${m.model}`} data-testid={`drift-status-${m.model}`} data-state={m.state}>
                <td className="mono">{m.model}</td>
                <td>
                  <Badge tone={state.tone} title={m.error}>
                    {state.label}
                  </Badge>
                </td>
                <td className="muted">
                  {m.last
                    ? `${m.last.mode === 'sample' ? 'sample of' : m.last.mode === 'full' ? 'all' : 'chosen'} ${m.last.rowsChecked.toLocaleString('en-US')} rows, ${formatTimestamp(m.last.finishedAt)}`
                    : ''}
                  {m.nextCheckAt && ` · next check ${formatTimestamp(m.nextCheckAt)}`}
                </td>
                <td>
                  <a href={buildHash('rebuilds', undefined, { drift: m.model })} data-testid={`drift-status-open-${m.model}`}>
                    {m.state === 'drifted' ? 'Open the report' : 'Check now'}
                  </a>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted">
        {every > 0
          ? `Each read model with a built-in definition is checked against the log every ${every} min (every row of a small model, a sample of a big one).`
          : 'Scheduled drift checks are off (Settings).'}
      </p>
    </Panel>
  );
}
