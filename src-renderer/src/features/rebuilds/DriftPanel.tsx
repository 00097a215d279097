import { useState } from 'react';
import { useMutationOp } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Badge } from '../../ui/Badge';
import { Button } from '../../ui/Button';
import { Panel } from '../../ui/Panel';
import { TextField } from '../../ui/inputs';
import { jobResult, useJobsOf } from '../jobs/use-jobs';

const KIND_LABEL = { edited: 'edited', missing: 'missing', orphan: 'orphan', 'stale-skipped': 'skipped event' } as const;

const show = (value: unknown) => (value === null || value === undefined ? '—' : typeof value === 'string' ? value : JSON.stringify(value));

/**
 * A read model checked against the log: the latest drift verification of the model (its drifted rows, field by field, with
 * the event that should have touched each and whether the projector had passed it), and the targeted repair, which opens
 * the partial rebuild of the drifted streams (its diff and swap are the rebuild's).
 */
export function DriftPanel({
  connectionId,
  schema,
  model,
  onRepairStarted,
  onClose,
}: {
  connectionId: string;
  schema: string;
  model: string;
  onRepairStarted(rebuildId: string): void;
  onClose(): void;
}) {
  const verify = useMutationOp('drift.verify');
  const repair = useMutationOp('drift.repair', { onSuccess: (result) => result.dryRun || onRepairStarted(result.rebuildId) });
  const [reason, setReason] = useState('');
  const job = useJobsOf('drift.verify', (j) => j.params.connectionId === connectionId && j.params.model === model && j.params.schema === schema)?.[0];
  const report = jobResult(job);
  const start = (mode: { kind: 'sample'; fraction: number } | { kind: 'full' }) =>
    verify.mutate({ connectionId, schema, model, definition: { builtin: true }, mode });
  return (
    <Panel
      title={`Drift of ${model} against the log`}
      testId="drift-panel"
      actions={
        <Button size="sm" variant="ghost" onClick={onClose}>
          Close
        </Button>
      }
    >
      <p className="muted">
        The rows are compared with a replay of their streams through the built-in definition, without touching the model. Rows behind the projector&apos;s
        checkpoint are lag, not drift.
      </p>
      <div className="rebuilds__swap">
        <Button size="sm" onClick={() => start({ kind: 'sample', fraction: 0.01 })} disabled={verify.isPending} data-testid="drift-sample">
          Check a 1% sample
        </Button>
        <Button size="sm" onClick={() => start({ kind: 'full' })} disabled={verify.isPending} data-testid="drift-full">
          Verify every row
        </Button>
      </div>
      {verify.error && (
        <Alert tone="danger" title="Could not start the verification">
          {verify.error.message}
        </Alert>
      )}
      {job && !report && (
        <p data-testid="drift-running">
          {job.state}: {job.progress.message ?? ''} {job.error ?? ''}
        </p>
      )}
      {report && (
        <div data-testid="drift-report">
          <p data-testid="drift-summary">
            {report.drifted === 0 ? <Badge tone="success">no drift</Badge> : <Badge tone="danger">{`${report.drifted} drifted`}</Badge>}{' '}
            {report.rowsChecked.toLocaleString('en-US')} rows checked: {report.counts.edited} edited, {report.counts.missing} missing, {report.counts.orphan}{' '}
            orphan, {report.counts.staleSkipped} with a skipped event; {report.lagging} lagging
            {report.reportFile ? ` (report saved as ${report.reportFile})` : ''}
          </p>
          {report.rows.length > 0 && (
            <table className="rebuilds__table" data-testid="drift-rows">
              <thead>
                <tr>
                  <th>Key</th>
                  <th>Drift</th>
                  <th>Fields (live → replayed)</th>
                  <th>Last event</th>
                  <th>Checkpoint passed it</th>
                </tr>
              </thead>
              <tbody>
                {report.rows.map((row) => (
                  <tr key={row.key} data-testid={`drift-row-${row.key}`}>
                    <td className="mono">{row.key}</td>
                    <td>{KIND_LABEL[row.kind]}</td>
                    <td className="mono">
                      {row.fields
                        .slice(0, 4)
                        .map((f) => `${f.field}: ${show(f.live)} → ${show(f.replayed)}`)
                        .join('; ')}
                      {row.fields.length > 4 ? ` (+${row.fields.length - 4})` : ''}
                    </td>
                    <td>
                      {row.lastEvent
                        ? `${row.lastEvent.type} #${row.lastEvent.version} at ${row.lastEvent.position ?? '?'} (${row.lastEvent.storedAt ?? 'no time'})`
                        : '—'}
                    </td>
                    <td>{row.checkpointPassed === null ? 'unknown' : row.checkpointPassed ? 'yes' : 'no'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {report.streamIds.length > 0 && job && (
            <div className="rebuilds__swap">
              <TextField label="Reason" rows={1} value={reason} onChange={setReason} testId="drift-repair-reason" />
              <Button
                size="sm"
                onClick={() => repair.mutate({ connectionId, jobId: job.id, ...(reason.trim() ? { reason: reason.trim() } : {}) })}
                disabled={repair.isPending}
                data-testid="drift-repair"
              >
                {`Repair ${report.streamIds.length} drifted stream${report.streamIds.length === 1 ? '' : 's'} (partial rebuild)`}
              </Button>
            </div>
          )}
          {repair.error && (
            <Alert tone="danger" title="Could not start the repair">
              {repair.error.message}
            </Alert>
          )}
        </div>
      )}
    </Panel>
  );
}
