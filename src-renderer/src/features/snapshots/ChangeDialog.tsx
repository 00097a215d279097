import { useEffect, useState } from 'react';
import type { SnapshotSelection, SnapshotsChangeResult } from '../../../../src-shared/schemas/snapshots';
import { confirmationOf } from '../../client/confirmation';
import { messageOf } from '../../client/errors';
import { useMutationOp } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { Dialog } from '../../ui/Dialog';
import { TextField } from '../../ui/inputs';
import { ReadOnlyNotice, REASON_FIRST } from '../connections/ReadOnlyNotice';
import { formatBytes } from '../../ui/format';
import { Time } from '../../ui/Time';

export type ChangeKind = 'delete' | 'regenerate';

interface ChangeDialogProps {
  kind: ChangeKind;
  connectionId: string;
  selection: SnapshotSelection;
  /** Regeneration replays with this definition. */
  definition: string;
  onClose: () => void;
  /** After the real run: what it did (a job started, or one snapshot changed). */
  onDone: (result: SnapshotsChangeResult) => void;
}

/** Dry run first (what would be deleted or rewritten), then the confirmed real run with a reason. */
export function ChangeDialog({ kind, connectionId, selection, definition, onClose, onDone }: ChangeDialogProps) {
  const op = kind === 'delete' ? 'snapshots.delete' : 'snapshots.regenerate';
  const dry = useMutationOp(op);
  const real = useMutationOp(op, { onSuccess: (result) => onDone(result) });
  const [reason, setReason] = useState('');
  const input = { connectionId, selection, ...(kind === 'regenerate' ? { definition } : {}) };

  useEffect(() => {
    dry.mutate({ ...input, dryRun: true });
    // The dry run is made once, for the selection the dialog opened with.
  }, []);

  const preview = dry.data;
  const confirm = () => preview && reason.trim() && real.mutate({ ...input, confirmation: confirmationOf(preview), reason: reason.trim() });
  const verb = kind === 'delete' ? 'Delete' : 'Regenerate';
  const title = `${verb} snapshots`;
  return (
    <Dialog
      title={title}
      onClose={onClose}
      testId="snapshot-change-dialog"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant={kind === 'delete' ? 'danger' : 'primary'}
            busy={real.isPending}
            disabled={!preview || preview.count === 0 || !reason.trim()}
            title={preview && !reason.trim() ? REASON_FIRST : undefined}
            onClick={confirm}
            data-testid="snapshot-change-confirm"
          >
            {verb} {preview ? preview.count : ''} snapshot{preview?.count === 1 ? '' : 's'}
          </Button>
        </>
      }
    >
      <ReadOnlyNotice connectionId={connectionId} op={op} />
      {dry.isPending && <p className="muted">Dry run: counting what would change…</p>}
      {dry.error && (
        <Alert tone="danger" title="The dry run failed">
          {messageOf(dry.error)}
        </Alert>
      )}
      {preview && (
        <div data-testid="snapshot-change-preview">
          <p className="dialog__lead">
            The dry run found <strong data-testid="snapshot-change-count">{preview.count}</strong> snapshot{preview.count === 1 ? '' : 's'}
            {kind === 'delete'
              ? ' to delete'
              : ` to overwrite with the state the ${definition === 'auto' ? 'automatic' : definition} definition replays, at the same version`}
            .{preview.count > 1 ? ' They are changed by a job in batches; it resumes after a crash.' : ''}
          </p>
          {preview.first.length > 0 && (
            <table className="snapshots__mini">
              <thead>
                <tr>
                  <th>Stream</th>
                  <th>Version</th>
                  <th>Taken at</th>
                  <th>Size</th>
                </tr>
              </thead>
              <tbody>
                {preview.first.map((s) => (
                  <tr key={`${s.streamId}@${s.version}`}>
                    <td className="mono">{s.streamId}</td>
                    <td>{s.version}</td>
                    <td>{s.takenAt ? <Time iso={s.takenAt} /> : '—'}</td>
                    <td>{formatBytes(s.sizeBytes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {preview.count > preview.first.length && <p className="muted">…and {preview.count - preview.first.length} more.</p>}
          {preview.note && (
            <Alert tone="warning" title="Note">
              {preview.note}
            </Alert>
          )}
          <TextField
            label="Reason (recorded in the audit log)"
            rows={2}
            value={reason}
            placeholder="e.g. OPS-1234: snapshots written by the fee bug"
            testId="snapshot-change-reason"
            onChange={setReason}
          />
        </div>
      )}
      {real.error && (
        <Alert tone="danger" title={`Not ${kind === 'delete' ? 'deleted' : 'regenerated'}`}>
          {messageOf(real.error)}
        </Alert>
      )}
    </Dialog>
  );
}
