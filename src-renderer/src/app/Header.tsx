import { useOperation } from '../client/operation-hooks';
import { KIND_SHORT_LABELS, describeTarget } from '../features/connections/describe';
import { AccessBadge } from '../features/connections/AccessBadge';
import { StatusIndicator } from '../features/connections/StatusIndicator';
import { isEventStore, useActiveConnection } from './active-connection';
import { useConnectionStatus } from './connection-statuses';
import { JobsTray } from '../features/jobs/JobsTray';

export function Header({ title }: { title: string }) {
  return (
    <header className="header">
      <h1 className="header__title">{title}</h1>
      <ActiveConnectionPicker />
      <JobsTray />
    </header>
  );
}

/** Which event store the console works against (Kafka clusters are not offered), its reachability and whether it may be written to. */
function ActiveConnectionPicker() {
  const { data: profiles } = useOperation('connections.list', {});
  const { active, setActiveId } = useActiveConnection();
  const status = useConnectionStatus(active?.id ?? '');
  if (!profiles || !active) return null;
  return (
    <div className="active-connection" data-testid="active-connection">
      <label className="active-connection__label" htmlFor="active-connection-select">
        Event store
      </label>
      <select
        id="active-connection-select"
        className="select active-connection__select"
        value={active.id}
        onChange={(event) => setActiveId(event.target.value)}
      >
        {profiles.filter(isEventStore).map((profile) => (
          <option key={profile.id} value={profile.id}>
            {profile.name}
          </option>
        ))}
      </select>
      <span
        className="active-connection__target"
        title={`${KIND_SHORT_LABELS[active.kind]} · ${describeTarget(active.settings)}`}
        data-testid="active-connection-target"
      >
        {KIND_SHORT_LABELS[active.kind]} · {describeTarget(active.settings)}
      </span>
      <AccessBadge readOnly={active.readOnly} />
      <StatusIndicator status={status} />
    </div>
  );
}
