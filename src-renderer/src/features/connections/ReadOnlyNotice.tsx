import { readOnlyRefusal } from '../../../../src-shared/operation-words';
import type { OperationName } from '../../../../src-shared/operations';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';

/**
 * Said at the top of a change's dialog, before anything is filled in, when its profile is
 * read-only: the same words the engine refuses the real run with. The dry run still works.
 */
export function ReadOnlyNotice({ connectionId, op }: { connectionId: string; op: OperationName }) {
  const { data: profiles } = useOperation('connections.list', {});
  const profile = profiles?.find((p) => p.id === connectionId);
  if (!profile?.readOnly) return null;
  return (
    <Alert tone="warning" title="Read-only profile" testId="read-only-notice">
      {readOnlyRefusal(profile.name, op)} A dry run still shows what would change.
    </Alert>
  );
}

/** Whether the profile is known to be read-only (the real run would be refused). */
export function useReadOnly(connectionId: string): boolean {
  const { data: profiles } = useOperation('connections.list', {});
  return profiles?.find((p) => p.id === connectionId)?.readOnly === true;
}

/** The title of a real-run button that waits for a reason. */
export const REASON_FIRST = 'Say why first: the reason is recorded in the audit log';
