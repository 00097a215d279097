import type { ReactNode } from 'react';
import type { AuditRecord } from '../../../../src-shared/schemas/audit';
import { KeyValueList } from '../../ui/KeyValue';

export function AuditDetails({ record }: { record: AuditRecord }) {
  return (
    <div className="audit-details" data-testid="audit-details">
      <KeyValueList
        items={[
          ['Recorded at', <span className="mono">{record.at}</span>],
          ...(record.errorCode ? ([['Error code', <span className="mono">{record.errorCode}</span>]] as [string, ReactNode][]) : []),
          ['Hash', <span className="mono">{record.hash}</span>],
          ['Previous hash', <span className="mono">{record.prevHash}</span>],
        ]}
      />
      {record.details && <pre className="audit-details__json">{JSON.stringify(record.details, null, 2)}</pre>}
    </div>
  );
}
