/**
 * Two-person approvals of an erasure: what is signed, and the check the real run
 * makes before anything is erased.
 */
import { createHash } from 'node:crypto';
import { ChronoError } from '../../../src-shared/errors';
import type { ErasureAction, ErasureCase } from '../../../src-shared/schemas/compliance';
import { canonicalJson } from '../util/canonical-json';
import type { OperatorRegistry } from './operators';
import { sameDigest } from './operators';

type SignedApproval = Extract<NonNullable<ErasureCase['approval']>, { signature: string }>;

/**
 * SHA-256 of the canonical JSON of what an erasure would do: the case, its
 * connection, the subjects its search found and the exact ordered actions. A
 * signature over it authorises that run and no other (another subject found by
 * a new search, or one more action, gives another digest).
 */
export function approvalDigest(record: ErasureCase, actions: readonly ErasureAction[]): Buffer {
  const subjectIds = [...(record.inventory?.subjectIds ?? [])].sort();
  return createHash('sha256')
    .update(canonicalJson({ purpose: 'chronoscope.compliance.erase', caseId: record.id, connectionId: record.connectionId, subjectIds, actions: [...actions] }))
    .digest();
}

/** Whether the case is under the two-person rule: as it was when the case was opened, or as the map says now. */
export function underTwoPersonRule(record: ErasureCase, mapRequires: boolean): boolean {
  return record.twoPersonRule === true || mapRequires;
}

export function isSigned(approval: ErasureCase['approval']): approval is SignedApproval {
  return approval !== undefined && 'signature' in approval;
}

/**
 * Refuses the run unless a registered operator other than the one who opened the
 * case signed the digest of exactly these actions.
 */
export async function assertApproved(record: ErasureCase, actions: readonly ErasureAction[], operators: OperatorRegistry): Promise<void> {
  const approval = record.approval;
  if (!isSigned(approval))
    throw new ChronoError(
      'forbidden',
      'This case is under the two-person rule: a second registered operator must approve it with their passphrase before it runs.',
    );
  if (!record.openedBy)
    throw new ChronoError(
      'forbidden',
      'This case names no registered operator who opened it, so no one can be told apart as the second person: open a new case as a registered operator.',
    );
  if (approval.operatorId === record.openedBy.operatorId || approval.fingerprint === record.openedBy.fingerprint)
    throw new ChronoError('forbidden', 'The approval was made by the operator who opened the case: a different operator must approve.');
  const unapproved = actions.filter((a) => !approval.actions.includes(a));
  if (unapproved.length)
    throw new ChronoError(
      'forbidden',
      `${unapproved.join(', ')} ${unapproved.length === 1 ? 'was' : 'were'} not approved: the approval covers ${approval.actions.join(', ')} only. Ask for a new approval of the actions you run.`,
    );
  const digest = approvalDigest(record, actions);
  if (!sameDigest(approval.digest, digest.toString('hex')))
    throw new ChronoError(
      'forbidden',
      `The approval covers exactly ${approval.actions.join(', ')} for the subjects found when it was given; this run differs. Ask for a new approval.`,
    );
  if (!(await operators.verifies(approval.operatorId, approval.fingerprint, digest, approval.signature)))
    throw new ChronoError('forbidden', `The approval's signature is not a valid signature of registered operator "${approval.operatorId}" over this run.`);
}
