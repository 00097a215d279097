import { Badge } from '../../ui/Badge';

export function AccessBadge({ readOnly }: { readOnly: boolean }) {
  return readOnly ? (
    <Badge tone="info" title="Chronoscope refuses operations that write to this system." testId="access-badge">
      Read-only
    </Badge>
  ) : (
    <Badge tone="warning" title="Operations that write to this system are allowed (after a dry run and confirmation)." testId="access-badge">
      Read-write
    </Badge>
  );
}
