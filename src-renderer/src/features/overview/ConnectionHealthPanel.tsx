import type { ConnectionView } from '../../../../src-shared/schemas/connections';
import { useConnectionStatus } from '../../app/connection-statuses';
import { hrefOf } from '../../app/routes';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { formatClock } from '../../ui/format';
import { timeHeader } from '../../ui/Time';
import { isoWithOffset } from '../../ui/time';
import { Panel } from '../../ui/Panel';
import { AccessBadge } from '../connections/AccessBadge';
import { KIND_SHORT_LABELS, describeTarget } from '../connections/describe';
import { StatusIndicator } from '../connections/StatusIndicator';

export function ConnectionHealthPanel() {
  const { data: profiles, error } = useOperation('connections.list', {});
  return (
    <Panel title="Connections" actions={<a href={hrefOf('connections')}>Manage connections</a>} flush testId="connection-health">
      {error && (
        <Alert tone="danger" title="Could not list the connections">
          {error.message}
        </Alert>
      )}
      {profiles && (
        <table className="data-table">
          <thead>
            <tr>
              <th>Status</th>
              <th>Name</th>
              <th>Kind</th>
              <th>Target</th>
              <th>Access</th>
              <th>{timeHeader('Checked')}</th>
            </tr>
          </thead>
          <tbody>
            {profiles.map((profile) => (
              <HealthRow key={profile.id} profile={profile} />
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

function HealthRow({ profile }: { profile: ConnectionView }) {
  const status = useConnectionStatus(profile.id);
  return (
    <tr data-testid="health-row" data-connection-name={profile.name}>
      <td className="overview__status-cell">
        <StatusIndicator status={status} detailed />
      </td>
      <td className="overview__name">{profile.name}</td>
      <td>{KIND_SHORT_LABELS[profile.kind]}</td>
      <td className="mono">{describeTarget(profile.settings)}</td>
      <td>
        <AccessBadge readOnly={profile.readOnly} />
      </td>
      <td className="muted">{status ? <span title={isoWithOffset(status.checkedAt)}>{formatClock(status.checkedAt)}</span> : '—'}</td>
    </tr>
  );
}
