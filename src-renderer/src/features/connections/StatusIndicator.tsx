import type { ConnectionStatus } from '../../../../src-shared/schemas/connections';
import { formatClock, formatRtt } from '../../ui/format';
import { zoneLabel } from '../../ui/time';
import './status-indicator.css';

type State = ConnectionStatus['state'];

const LABELS: Record<State, string> = {
  connected: 'Connected',
  error: 'Unreachable',
  'needs-secret': 'Needs password',
  checking: 'Checking…',
};

interface StatusIndicatorProps {
  status: ConnectionStatus | undefined;
  /** Show the error message under the label instead of only in the tooltip. */
  detailed?: boolean;
}

/** A coloured dot and what it means: connected with its round trip, an error, or a missing password. */
export function StatusIndicator({ status, detailed = false }: StatusIndicatorProps) {
  const state: State = status?.state ?? 'checking';
  const label = state === 'connected' && status?.rttMs !== undefined ? `${LABELS.connected} · ${formatRtt(status.rttMs)}` : LABELS[state];
  const tooltip = [status?.message, status ? `checked ${formatClock(status.checkedAt)} ${zoneLabel()}` : undefined].filter(Boolean).join(' — ');
  return (
    <span className={`status status--${state}`} data-testid="connection-status" data-state={state} title={tooltip || undefined}>
      <span className="status__dot" aria-hidden="true" />
      <span className="status__text">
        <span className="status__label">{label}</span>
        {detailed && status?.message && state !== 'connected' && <span className="status__message">{status.message}</span>}
      </span>
    </span>
  );
}
