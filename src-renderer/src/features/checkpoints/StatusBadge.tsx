import type { CheckpointStatus } from '../../../../src-shared/schemas/checkpoints';
import { Badge } from '../../ui/Badge';
import { STATUS_LABELS, STATUS_TONES } from './format';

export function StatusBadge({ status, note }: { status: CheckpointStatus; note?: string | undefined }) {
  return (
    <Badge tone={STATUS_TONES[status]} title={note} testId={`status-${status}`}>
      {STATUS_LABELS[status]}
    </Badge>
  );
}
