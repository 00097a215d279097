import type { ConnectionView } from '../../../../src-shared/schemas/connections';
import { Alert } from '../../ui/Alert';
import { DetectionPanel } from './DetectionPanel';
import { needsDetection } from './use-browse';

/** What to show instead of a browse screen: no connection, a preset to confirm, or the host's error. */
export function StoreProblem({ connection, error, title }: { connection: ConnectionView | undefined; error: unknown; title: string }) {
  if (!connection) return <div className="empty-state">Loading connections…</div>;
  if (needsDetection(error)) return <DetectionPanel connectionId={connection.id} connectionName={connection.name} kind={connection.kind} />;
  if (!error) return null;
  return (
    <Alert tone="danger" title={title} testId="browse-error">
      {error instanceof Error ? error.message : String(error)}
    </Alert>
  );
}
