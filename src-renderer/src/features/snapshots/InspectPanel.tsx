import { messageOf } from '../../client/errors';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Badge } from '../../ui/Badge';
import { Button } from '../../ui/Button';
import { JsonTree, type JsonPath } from '../../ui/JsonTree';
import { Panel } from '../../ui/Panel';
import type { ChangeKind } from './ChangeDialog';
import { formatBytes } from '../../ui/format';
import { Time } from '../../ui/Time';

interface InspectPanelProps {
  connectionId: string;
  streamId: string;
  version: number;
  definition: string;
  onChange: (kind: ChangeKind) => void;
  onClose: () => void;
}

const samePath = (a: readonly (string | number)[], b: JsonPath) => a.length === b.length && a.every((p, i) => p === b[i]);

/** One stored snapshot beside the state a replay from the stream's start gives at its version, with their differences. */
export function InspectPanel({ connectionId, streamId, version, definition, onChange, onClose }: InspectPanelProps) {
  const inspect = useOperation('snapshots.inspect', { connectionId, streamId, version, definition }, { retry: false });
  const data = inspect.data;
  const changed = (path: JsonPath) =>
    data?.diff.some((d) => samePath(d.path, path))
      ? { kind: 'diff', className: 'snapshots__changed', label: <span className="snapshots__changed-label">differs</span> }
      : undefined;
  return (
    <Panel
      title={`${streamId} at version ${version}`}
      className="snapshots__inspect"
      testId="snapshot-inspect"
      actions={
        <>
          <Button size="sm" onClick={() => onChange('regenerate')} data-testid="snapshot-regenerate-one">
            Regenerate…
          </Button>
          <Button size="sm" variant="danger" onClick={() => onChange('delete')} data-testid="snapshot-delete-one">
            Delete…
          </Button>
          <Button size="sm" variant="ghost" onClick={onClose}>
            Close
          </Button>
        </>
      }
    >
      {inspect.isPending && <p className="muted">Replaying the stream to version {version}…</p>}
      {inspect.error && (
        <Alert tone="danger" title="Could not inspect the snapshot">
          {messageOf(inspect.error)}
        </Alert>
      )}
      {data && (
        <>
          <div className="snapshots__verdict" data-testid="snapshot-verdict" data-ok={data.ok}>
            {data.ok ? (
              <Badge tone="success">Matches the replay</Badge>
            ) : (
              <Badge tone="danger">{data.diff.length > 0 ? `${data.diff.length} difference${data.diff.length === 1 ? '' : 's'}` : 'Not compared'}</Badge>
            )}
            <span className="muted">
              {formatBytes(data.snapshot.sizeBytes)} · taken {data.snapshot.takenAt ? <Time iso={data.snapshot.takenAt} /> : 'at an unknown time'}
              {data.snapshot.schemaVersion ? ` · schema ${data.snapshot.schemaVersion}` : ''}
              {data.replay ? ` · replayed with ${data.replay.definition}` : ''}
            </span>
          </div>
          {data.message && (
            <Alert tone="warning" title="Note">
              {data.message}
            </Alert>
          )}
          {data.diff.length > 0 && (
            <table className="snapshots__mini" data-testid="snapshot-diff">
              <thead>
                <tr>
                  <th>Path</th>
                  <th>Replay gives</th>
                  <th>Snapshot holds</th>
                </tr>
              </thead>
              <tbody>
                {data.diff.slice(0, 50).map((d) => (
                  <tr key={d.path.join('.')}>
                    <td className="mono">{d.path.join('.') || '(whole state)'}</td>
                    <td className="mono">{d.kind === 'added' ? '(absent)' : JSON.stringify(d.before)}</td>
                    <td className="mono">{d.kind === 'removed' ? '(absent)' : JSON.stringify(d.after)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div className="snapshots__sides">
            <div>
              <h4>Stored snapshot</h4>
              <JsonTree value={data.snapshot.state} markOf={changed} testId="snapshot-stored" />
            </div>
            <div>
              <h4>Replay from the start</h4>
              {data.replay ? <JsonTree value={data.replay.state} markOf={changed} testId="snapshot-replayed" /> : <p className="muted">No replay.</p>}
            </div>
          </div>
        </>
      )}
    </Panel>
  );
}
