import { keepPreviousData } from '@tanstack/react-query';
import { buildHash } from '../../app/routes';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Badge } from '../../ui/Badge';
import { Panel } from '../../ui/Panel';
import { formatDuration, formatEvents } from './format';
import { StatusBadge } from './StatusBadge';

/** Per connection, its worst projector lags and failed snapshot verifications: trouble in one look. */
export function LagOverviewPanel() {
  const overview = useOperation('checkpoints.overview', {}, { refetchInterval: 5_000, placeholderData: keepPreviousData });
  const profiles = useOperation('connections.list', {});
  const nameOf = (id: string) => profiles.data?.find((p) => p.id === id)?.name ?? id;
  const connections = overview.data?.connections ?? [];
  return (
    <Panel title="Lags and verifications" flush testId="lag-overview" actions={<a href={buildHash('checkpoints')}>Checkpoints</a>}>
      {overview.error && (
        <Alert tone="danger" title="Could not read the lags">
          {overview.error.message}
        </Alert>
      )}
      {overview.data && connections.length === 0 && (
        <p className="muted checkpoints__empty">Open a connection's checkpoints once: its lags are then sampled in the background and summed up here.</p>
      )}
      {connections.length > 0 && (
        <table className="data-table">
          <thead>
            <tr>
              <th>Connection</th>
              <th>Worst lags</th>
              <th>Snapshot verification</th>
            </tr>
          </thead>
          <tbody>
            {connections.map((c) => (
              <tr key={c.connectionId} data-testid="lag-overview-row" data-connection={c.connectionId}>
                <td className="overview__name">{nameOf(c.connectionId)}</td>
                <td>
                  {c.error && <span className="muted">Not sampled: {c.error}</span>}
                  {!c.error &&
                    c.worst.length === 0 &&
                    (c.sampledAt ? <Badge tone="success">All caught up</Badge> : <span className="muted">Not sampled yet</span>)}
                  <ul className="lag-overview__list">
                    {c.worst.map((w) => (
                      <li key={w.projector} data-testid="lag-overview-projector" data-projector={w.projector}>
                        <StatusBadge status={w.status} /> <strong>{w.projector}</strong> {formatEvents(w.lagEvents, w.lagEstimated)}{' '}
                        {w.lagEvents === 1 ? 'event' : 'events'} · {formatDuration(w.lagMs)}
                      </li>
                    ))}
                  </ul>
                </td>
                <td>
                  {c.failedVerifications ? (
                    <Badge tone="danger" testId="lag-overview-verification">
                      {c.failedVerifications.mismatched} mismatched, {c.failedVerifications.failed} failed
                    </Badge>
                  ) : (
                    <span className="muted">No failure recorded</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}
