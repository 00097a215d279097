import { redactSecretsDeep } from '../../../src-shared/redact-secrets';
import type { Handlers } from '../dispatch/dispatcher';
import type { AuditLog } from './audit-log';

/** Reading the audit log and checking its hash chain. */
export function auditHandlers({ audit }: { audit: AuditLog }): Pick<Handlers, 'audit.list' | 'audit.verify'> {
  return {
    // Records written before URI passwords were masked are masked on the way out.
    'audit.list': async (input) => {
      const page = await audit.list(input);
      return { ...page, records: page.records.map((record) => ({ ...record, details: redactSecretsDeep(record.details) })) };
    },
    'audit.verify': () => audit.verify(),
  };
}
