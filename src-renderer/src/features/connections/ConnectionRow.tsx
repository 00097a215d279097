import { useActiveConnection } from '../../app/active-connection';
import { useConnectionStatus } from '../../app/connection-statuses';
import { useMutationOp } from '../../client/operation-hooks';
import type { ConnectionView } from '../../../../src-shared/schemas/connections';
import { Alert } from '../../ui/Alert';
import { Badge } from '../../ui/Badge';
import { Button } from '../../ui/Button';
import { AccessBadge } from './AccessBadge';
import { KIND_SHORT_LABELS, SECRET_STORAGE_LABELS, describeTarget } from './describe';
import { StatusIndicator } from './StatusIndicator';
import { TestResultView } from './TestResultView';

const COLUMN_COUNT = 7;

interface ConnectionRowProps {
  profile: ConnectionView;
  editing: boolean;
  previewingRemoval: boolean;
  onEdit: () => void;
  onRemove: () => void;
}

export function ConnectionRow({ profile, editing, previewingRemoval, onEdit, onRemove }: ConnectionRowProps) {
  const status = useConnectionStatus(profile.id);
  const { active } = useActiveConnection();
  const test = useMutationOp('connections.test');
  const showTest = test.data !== undefined || test.error !== null;

  return (
    <>
      <tr
        className={editing ? 'connection-row connection-row--editing' : 'connection-row'}
        data-testid="connection-row"
        data-connection-id={profile.id}
        data-connection-name={profile.name}
      >
        <td>
          <StatusIndicator status={status} detailed />
        </td>
        <td>
          <span className="connection-row__identity">
            <span className="connection-row__name">{profile.name}</span>
            {profile.builtin && <Badge testId="builtin-badge">Built-in</Badge>}
            {active?.id === profile.id && <Badge tone="info">Active</Badge>}
          </span>
        </td>
        <td className="optional-column">{KIND_SHORT_LABELS[profile.kind]}</td>
        <td className="mono connection-row__target optional-column" title={describeTarget(profile.settings)}>
          {describeTarget(profile.settings)}
        </td>
        <td>
          <AccessBadge readOnly={profile.readOnly} />
          {profile.mayDecryptPersonalData && profile.kind !== 'kafka' && (
            <>
              {' '}
              <Badge
                tone="warning"
                title="Browse, exports and time travel show sealed personal data decrypted; each such view is audited."
                testId="may-decrypt-badge"
              >
                Decrypts personal data
              </Badge>
            </>
          )}
        </td>
        <td className="connection-row__secret optional-column" data-testid="secret-storage">
          {profile.builtin ? '—' : SECRET_STORAGE_LABELS[profile.secretStorage]}
        </td>
        <td className="connection-row__actions">
          <Button size="sm" variant="ghost" busy={test.isPending} onClick={() => test.mutate({ id: profile.id })} data-testid="connection-test">
            Test
          </Button>
          {!profile.builtin && (
            <>
              <Button size="sm" variant="ghost" onClick={onEdit} data-testid="connection-edit">
                Edit
              </Button>
              <Button size="sm" variant="ghost-danger" busy={previewingRemoval} onClick={onRemove} data-testid="connection-remove">
                Remove
              </Button>
            </>
          )}
        </td>
      </tr>
      {showTest && (
        <tr className="connection-row__test">
          <td colSpan={COLUMN_COUNT}>
            <div className="connection-row__test-body">
              {test.data && <TestResultView result={test.data} testId="connection-test-result" />}
              {test.error && (
                <Alert tone="danger" title="Test failed" testId="connection-test-result">
                  {test.error.message}
                </Alert>
              )}
              <Button size="sm" variant="ghost" onClick={() => test.reset()}>
                Dismiss
              </Button>
            </div>
          </td>
        </tr>
      )}
    </>
  );
}
