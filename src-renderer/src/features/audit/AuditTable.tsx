import { timeHeader } from '../../ui/Time';
import { useState } from 'react';
import type { AuditRecord } from '../../../../src-shared/schemas/audit';
import { LoadMore, VirtualTable } from '../../ui/VirtualTable';
import { AuditRow } from './AuditRow';

const ROW_HEIGHT = 34;

interface AuditTableProps {
  records: AuditRecord[];
  loading: boolean;
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  emptyMessage: string;
}

/** Rows expand in place to show a record's details, so they are measured. */
export function AuditTable({ records, loading, hasMore, loadingMore, onLoadMore, emptyMessage }: AuditTableProps) {
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(new Set());
  const toggle = (seq: number) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (!next.delete(seq)) next.add(seq);
      return next;
    });

  return (
    <VirtualTable
      rows={records}
      rowKey={(record) => record.seq}
      rowHeight={ROW_HEIGHT}
      measured
      testId="audit-table"
      headClassName="audit-grid"
      head={
        <>
          <span role="columnheader" aria-label="Details" />
          <span role="columnheader">Seq</span>
          <span role="columnheader">{timeHeader()}</span>
          <span role="columnheader">User</span>
          <span role="columnheader">Operation</span>
          <span role="columnheader">Target</span>
          <span role="columnheader">Outcome</span>
          <span role="columnheader">Run</span>
          <span role="columnheader">Reason</span>
        </>
      }
      loading={loading}
      emptyMessage={emptyMessage}
      renderRow={(record) => <AuditRow record={record} expanded={expanded.has(record.seq)} onToggle={() => toggle(record.seq)} />}
      footer={<LoadMore show={hasMore} busy={loadingMore} onClick={onLoadMore} label="Load older records" testId="audit-load-more" size="md" />}
    />
  );
}
