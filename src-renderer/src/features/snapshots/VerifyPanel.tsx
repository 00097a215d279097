import { useState, type ReactNode } from 'react';
import type { SnapshotFilterInput, SnapshotSelection } from '../../../../src-shared/schemas/snapshots';
import { messageOf } from '../../client/errors';
import { useMutationOp } from '../../client/operation-hooks';
import { Button } from '../../ui/Button';
import { Panel } from '../../ui/Panel';
import { TextField } from '../../ui/inputs';
import { jobResult, useJobsOf } from '../jobs/use-jobs';
import type { ChangeKind } from './ChangeDialog';

interface VerifyPanelProps {
  connectionId: string;
  definition: string;
  filter: SnapshotFilterInput;
  definitionPicker: ReactNode;
  onInspect: (key: { streamId: string; version: number }) => void;
  onChange: (kind: ChangeKind, selection: SnapshotSelection) => void;
}

/** Starts bulk verification as a job (all or a sample; the jobs tray follows it) and shows the latest report. */
export function VerifyPanel({ connectionId, definition, filter, definitionPicker, onInspect, onChange }: VerifyPanelProps) {
  const [sample, setSample] = useState('');
  const verify = useMutationOp('snapshots.verifyAll');
  const latest = useJobsOf('snapshots.verifyAll', (j) => j.connectionIds.includes(connectionId))?.[0];
  const result = jobResult(latest);
  const sampleSize = /^\d+$/.test(sample.trim()) && Number(sample) > 0 ? Number(sample) : undefined;
  const start = () =>
    verify.mutate({
      connectionId,
      definition,
      ...(filter.streamPrefix ? { streamPrefix: filter.streamPrefix } : {}),
      ...(filter.streamType ? { category: filter.streamType } : {}),
      ...(sampleSize ? { sampleSize } : {}),
    });
  const wrong = result
    ? [
        ...result.mismatches.map((m) => ({ ...m, message: undefined as string | undefined })),
        ...result.failures
          .filter((f) => f.snapshotVersion !== undefined)
          .map((f) => ({
            streamId: f.streamId,
            snapshotVersion: f.snapshotVersion!,
            differences: 0,
            paths: [] as string[],
            streamTooShort: false,
            diff: undefined,
            message: f.message,
          })),
      ]
    : [];
  return (
    <Panel title="Verify snapshots" testId="snapshot-verify">
      <div className="snapshots__verify-bar">
        {definitionPicker}
        <TextField label="Sample size (empty: all)" value={sample} placeholder="all" testId="snapshot-sample" onChange={setSample} />
        <Button variant="primary" busy={verify.isPending} onClick={start} data-testid="snapshot-verify-start">
          {sampleSize ? `Verify a sample of ${sampleSize}` : 'Verify all'}
        </Button>
      </div>
      <p className="muted">
        Each snapshot is compared with a replay of its stream from the start
        {filter.streamType || filter.streamPrefix ? ' (the type and prefix filters apply)' : ''}. It runs as a job: follow it in the Jobs tray; it goes on if
        this window closes.
      </p>
      {verify.error && <div className="jobs-tray__error">{messageOf(verify.error)}</div>}
      {latest && latest.state !== 'done' && (
        <p className="muted" data-testid="snapshot-verify-state">
          Latest verification: {latest.state}
          {latest.progress.total !== undefined ? ` (${latest.progress.done} of ${latest.progress.total})` : ''}.
        </p>
      )}
      {result && (
        <div data-testid="snapshot-verify-report">
          <p>
            <strong>{latest?.summary}</strong>
            {result.truncated ? ' (the list below is cut)' : ''}
          </p>
          {wrong.length > 0 && (
            <>
              <table className="snapshots__mini">
                <thead>
                  <tr>
                    <th>Stream</th>
                    <th>Version</th>
                    <th>What differs</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {wrong.map((m) => (
                    <tr key={`${m.streamId}@${m.snapshotVersion}`} data-testid="snapshot-mismatch" data-stream={m.streamId} data-version={m.snapshotVersion}>
                      <td className="mono">{m.streamId}</td>
                      <td>{m.snapshotVersion}</td>
                      <td className="mono">
                        {m.message ??
                          (m.streamTooShort
                            ? 'the stream is shorter than the snapshot'
                            : (m.diff ?? []).map((d) => `${d.path}: ${JSON.stringify(d.before)} → ${JSON.stringify(d.after)}`).join('; ') ||
                              m.paths.join(', '))}
                      </td>
                      <td>
                        <Button
                          size="sm"
                          variant="ghost"
                          onClick={() => onInspect({ streamId: m.streamId, version: m.snapshotVersion })}
                          data-testid="snapshot-mismatch-inspect"
                        >
                          Inspect
                        </Button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <div className="snapshots__actions">
                <Button
                  size="sm"
                  variant="danger"
                  onClick={() => onChange('delete', { kind: 'failedVerification', jobId: latest!.id })}
                  data-testid="snapshot-delete-failed"
                >
                  Delete all that failed…
                </Button>
                <Button
                  size="sm"
                  onClick={() => onChange('regenerate', { kind: 'failedVerification', jobId: latest!.id })}
                  data-testid="snapshot-regenerate-failed"
                >
                  Regenerate all that failed…
                </Button>
              </div>
            </>
          )}
        </div>
      )}
    </Panel>
  );
}
