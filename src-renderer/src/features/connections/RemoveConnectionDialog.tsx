import { useState } from 'react';
import type { ConnectionView } from '../../../../src-shared/schemas/connections';
import { useMutationOp } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { Dialog } from '../../ui/Dialog';
import { REASON_FIRST } from './ReadOnlyNotice';
import { KeyValueList } from '../../ui/KeyValue';
import { TextField } from '../../ui/inputs';
import { KIND_LABELS, SECRET_STORAGE_LABELS, describeTarget } from './describe';

interface RemoveConnectionDialogProps {
  /** The profile as the dry run reported it. */
  profile: ConnectionView;
  /** The dry run's token, which authorises exactly this removal. */
  confirmation: string;
  onClose: () => void;
  onRemoved: (id: string) => void;
}

export function RemoveConnectionDialog({ profile, confirmation, onClose, onRemoved }: RemoveConnectionDialogProps) {
  const [reason, setReason] = useState('');
  const remove = useMutationOp('connections.remove', { onSuccess: () => onRemoved(profile.id) });
  const confirm = () => reason.trim() && remove.mutate({ id: profile.id, confirmation, reason: reason.trim() });

  return (
    <Dialog
      title={`Remove “${profile.name}”?`}
      onClose={onClose}
      testId="remove-dialog"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant="danger"
            busy={remove.isPending}
            disabled={!reason.trim()}
            title={reason.trim() ? undefined : REASON_FIRST}
            onClick={confirm}
            data-testid="remove-confirm"
          >
            Remove connection
          </Button>
        </>
      }
    >
      <p className="dialog__lead">The dry run found this profile. Removing it deletes:</p>
      <KeyValueList
        testId="remove-preview"
        items={[
          ['Profile', profile.name],
          ['Kind', KIND_LABELS[profile.kind]],
          ['Target', <span className="mono">{describeTarget(profile.settings)}</span>],
          ['Stored password', profile.secretStorage === 'none' ? 'none' : `${SECRET_STORAGE_LABELS[profile.secretStorage]} — deleted too`],
        ]}
      />
      <p className="muted">The target system itself is not touched. The audit log records who removed the profile and why.</p>
      <TextField
        label="Reason (recorded in the audit log)"
        rows={2}
        value={reason}
        placeholder="e.g. OPS-1234: cluster decommissioned"
        testId="remove-reason"
        onChange={setReason}
      />
      {remove.error && (
        <Alert tone="danger" title="Not removed">
          {remove.error.message}
        </Alert>
      )}
    </Dialog>
  );
}
