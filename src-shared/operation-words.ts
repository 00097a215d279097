import type { OperationName } from './operations';

/**
 * What each state-changing operation does, in words, for sentences shown to people
 * (a read-only refusal, a missing reason), never its identifier (`checkpoints.reset`).
 * Each entry reads after "…is read-only: ".
 */
export const CHANGE_WORDS: Partial<Record<OperationName, { action: string; changes: string }>> = {
  'connections.remove': { action: 'removing a connection', changes: 'deletes its profile and stored secret' },
  'snapshots.delete': { action: 'deleting snapshots', changes: 'changes the store' },
  'snapshots.regenerate': { action: 'regenerating snapshots', changes: 'changes the store' },
  'checkpoints.reset': { action: 'resetting a checkpoint', changes: 'changes the store' },
  'kafka.resetOffsets': { action: "resetting a consumer group's offsets", changes: 'changes the cluster' },
  'compliance.setTwoPersonRule': { action: 'changing the two-person rule', changes: 'changes how erasures are approved' },
  'compliance.erase': { action: "erasing a subject's personal data", changes: 'changes the store' },
  'rebuilds.start': { action: 'rebuilding a read model', changes: 'changes the store' },
  'rebuilds.createTarget': { action: 'creating a rebuild target table', changes: 'changes the store' },
  'rebuilds.resume': { action: 'resuming a rebuild', changes: 'changes the store' },
  'rebuilds.swap': { action: 'swapping a rebuilt table in', changes: 'changes the store' },
  'rebuilds.rollback': { action: 'rolling a swap back', changes: 'changes the store' },
  'rebuilds.drop': { action: 'dropping a rebuild table', changes: 'changes the store' },
  'drift.repair': { action: 'repairing the drifted rows of a read model', changes: 'changes the store' },
};

/** "resetting a checkpoint" (or, for an operation without words, "this change"). */
export function actionWords(op: string): string {
  return CHANGE_WORDS[op as OperationName]?.action ?? 'this change';
}

/** The refusal of a change on a read-only profile, naming the profile and the action. */
export function readOnlyRefusal(profileName: string, op: string): string {
  const words = CHANGE_WORDS[op as OperationName];
  const what = words ? `${words.action} ${words.changes}` : 'this change writes to it';
  return `"${profileName}" is read-only: ${what}. Mark the profile read-write in Connections to do it.`;
}

/** Why a destructive operation's real run was refused without a reason. */
export function reasonRequired(op: string): string {
  const action = actionWords(op);
  return `Say why before ${action === 'this change' ? 'making this change' : action}: a reason ("reason") is required, and recorded in the audit log.`;
}
