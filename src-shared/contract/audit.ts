import { auditListInput, auditListResult, auditVerifyResult } from '../schemas/audit';
import { empty } from '../schemas/common';
import { op } from './op';

/** The operations of the audit log. */
export const auditOperations = {
  'audit.list': op({ summary: 'Audit records, newest first, filtered', input: auditListInput, result: auditListResult, effect: 'none' }),
  'audit.verify': op({ summary: 'Check the audit hash chain for edited or deleted records', input: empty, result: auditVerifyResult, effect: 'none' }),
} as const;
