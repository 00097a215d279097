import { ChronoError } from '../../../../src-shared/errors';
import type { ConnectionView } from '../../../../src-shared/schemas/connections';
import { Alert } from '../../ui/Alert';
import { Badge } from '../../ui/Badge';
import { Button } from '../../ui/Button';
import { DetectionPanel } from './DetectionPanel';
import { needsDetection } from './use-browse';

/** Errors that mean the store could not be reached at all (rather than a bad query or mapping). */
const OFFLINE_CODES = new Set(['connection_refused', 'host_not_found', 'timeout', 'unavailable']);

export function isOffline(error: unknown): boolean {
  return error instanceof ChronoError && OFFLINE_CODES.has(error.code);
}

/** The store's layout has no such thing (a global feed, a timeline): reading again cannot help. */
export function isUnsupported(error: unknown): boolean {
  return error instanceof ChronoError && error.code === 'unsupported';
}

interface StoreProblemProps {
  connection: ConnectionView | undefined;
  error: unknown;
  title: string;
  /** Reads again; shown as a Retry button. */
  onRetry?: (() => void) | undefined;
  /** The screen still shows what an earlier read returned: said in the banner, so nobody takes it for current. */
  stale?: boolean | undefined;
  retrying?: boolean | undefined;
}

/** What to show instead of (or above) a browse screen: no connection, a preset to confirm, or one banner with the host's error. */
export function StoreProblem({ connection, error, title, onRetry, stale, retrying }: StoreProblemProps) {
  if (!connection) return <div className="empty-state">Loading connections…</div>;
  if (needsDetection(error)) return <DetectionPanel connectionId={connection.id} connectionName={connection.name} kind={connection.kind} />;
  if (!error) return null;
  const offline = isOffline(error);
  const unsupported = isUnsupported(error);
  return (
    <Alert
      tone={unsupported ? 'warning' : 'danger'}
      title={offline ? `“${connection.name}” cannot be reached` : unsupported ? `Not available on “${connection.name}”` : title}
      testId="browse-error"
    >
      <div className="store-problem" data-offline={offline || undefined} data-stale={stale || undefined}>
        <span>{error instanceof Error ? error.message : String(error)}</span>
        {stale && <span data-testid="browse-stale-note"> The list below was read earlier and may be out of date.</span>}
        {onRetry && !unsupported && (
          <Button size="sm" busy={retrying} onClick={onRetry} data-testid="browse-retry">
            Retry
          </Button>
        )}
      </div>
    </Alert>
  );
}

/** Beside a list title while the list is what an earlier read returned. */
export function StaleBadge() {
  return (
    <>
      {' '}
      <Badge tone="warning" title="The last read failed: these rows are from an earlier one" testId="stale-badge">
        stale
      </Badge>
    </>
  );
}
