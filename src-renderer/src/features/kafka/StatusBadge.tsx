import type { LagStatus } from '../../../../src-shared/schemas/kafka';
import { Badge } from '../../ui/Badge';
import { STATUS_TONES } from './kafka-view';

export function StatusBadge({ status, reason, testId }: { status: LagStatus | undefined; reason?: string | undefined; testId?: string }) {
  if (!status)
    return (
      <span className="muted" title="Not sampled yet">
        —
      </span>
    );
  return (
    <Badge tone={STATUS_TONES[status]} {...(reason ? { title: reason } : {})} {...(testId ? { testId } : {})}>
      {status}
    </Badge>
  );
}
