import type { AuditRecord } from '../../../src-shared/schemas/audit';
import type { CheckpointKey, CheckpointView } from '../../stores/ports/checkpoint-store';

/** What checking a change's target needs: the present position of a checkpoint, the committed offsets of a group. */
export interface TargetReaders {
  checkpoint(connectionId: string, key: CheckpointKey): Promise<CheckpointView | null>;
  committedOffsets(connectionId: string, groupId: string, topics: string[]): Promise<Map<string, string | null>>;
}

/** A check that does not answer in this time is reported as not done: the log must not wait on a server that is down. */
const CHECK_TIMEOUT_MS = 5_000;

/**
 * Looks at the target of a change whose outcome was never recorded and says, in a
 * sentence, whether what was confirmed is what the target holds now. Only the changes
 * whose end state can be read back are checked (checkpoint and offset resets); the
 * others say nothing and are left to the user.
 */
export function checkUnfinishedChange(readers: TargetReaders) {
  return async (intent: AuditRecord): Promise<string | undefined> => {
    const check = checkOne(readers, intent);
    if (!check) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`The target did not answer within ${CHECK_TIMEOUT_MS / 1000} s, so it was not checked.`), CHECK_TIMEOUT_MS);
    });
    try {
      return await Promise.race([check, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}

function checkOne(readers: TargetReaders, intent: AuditRecord): Promise<string> | undefined {
  const input = (intent.details?.input ?? {}) as Record<string, unknown>;
  const confirmed = intent.details?.confirmed as Record<string, unknown> | undefined;
  if (intent.operation === 'checkpoints.reset' && confirmed) {
    const target = (confirmed.target as { position?: string } | undefined)?.position;
    const key = input.key as CheckpointKey;
    if (typeof input.connectionId !== 'string' || !key || target === undefined) return undefined;
    return readers.checkpoint(input.connectionId, key).then((now) => {
      const position = now?.position ?? null;
      if (position === target) return `Checked at start: the checkpoint holds ${target}, the confirmed target, so the reset was most likely applied.`;
      if (position === (confirmed.expected ?? null))
        return `Checked at start: the checkpoint still holds ${position ?? 'nothing'}, where it started, so the reset was most likely not applied.`;
      return `Checked at start: the checkpoint holds ${position ?? 'nothing'}, neither its start (${String(confirmed.expected ?? 'nothing')}) nor the confirmed target (${target}): its projector has moved it since.`;
    });
  }
  if (intent.operation === 'kafka.resetOffsets' && confirmed && Array.isArray(confirmed.plan)) {
    const plan = confirmed.plan as { topic: string; partition: number; next: string }[];
    if (typeof input.connectionId !== 'string' || typeof input.groupId !== 'string' || !plan.length) return undefined;
    return readers.committedOffsets(input.connectionId, input.groupId, [...new Set(plan.map((row) => row.topic))]).then((now) => {
      const moved = plan.filter((row) => now.get(`${row.topic}:${row.partition}`) === row.next).length;
      if (moved === plan.length) return `Checked at start: every partition holds its confirmed offset, so the reset was most likely applied.`;
      if (moved === 0) return `Checked at start: no partition holds its confirmed offset, so the reset was most likely not applied.`;
      return `Checked at start: ${moved} of ${plan.length} partitions hold their confirmed offsets: the reset was applied in part.`;
    });
  }
  return undefined;
}
