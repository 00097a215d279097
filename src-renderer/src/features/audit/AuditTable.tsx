import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef, useState } from 'react';
import type { AuditRecord } from '../../../../src-shared/schemas/audit';
import { Button } from '../../ui/Button';
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

/** Only the rows in view are in the DOM, so a long log scrolls as smoothly as a short one. */
export function AuditTable({ records, loading, hasMore, loadingMore, onLoadMore, emptyMessage }: AuditTableProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(new Set());
  const virtualizer = useVirtualizer({
    count: records.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    getItemKey: (index) => records[index]?.seq ?? index,
    overscan: 12,
  });

  const toggle = (seq: number) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (!next.delete(seq)) next.add(seq);
      return next;
    });

  return (
    <div className="audit-table" role="table" aria-rowcount={records.length} data-testid="audit-table">
      <div className="audit-table__head audit-grid" role="row">
        <span role="columnheader" aria-label="Details" />
        <span role="columnheader">Seq</span>
        <span role="columnheader">Time</span>
        <span role="columnheader">User</span>
        <span role="columnheader">Operation</span>
        <span role="columnheader">Target</span>
        <span role="columnheader">Outcome</span>
        <span role="columnheader">Run</span>
        <span role="columnheader">Reason</span>
      </div>
      <div className="audit-table__scroll" ref={scrollRef}>
        {loading && <div className="empty-state">Loading…</div>}
        {!loading && records.length === 0 && <div className="empty-state">{emptyMessage}</div>}
        <div className="audit-table__canvas" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const record = records[item.index];
            if (!record) return null;
            return (
              <div key={item.key} ref={virtualizer.measureElement} data-index={item.index} className="audit-table__slot" style={{ transform: `translateY(${item.start}px)` }}>
                <AuditRow record={record} expanded={expanded.has(record.seq)} onToggle={() => toggle(record.seq)} />
              </div>
            );
          })}
        </div>
        {hasMore && (
          <div className="audit-table__more">
            <Button onClick={onLoadMore} busy={loadingMore} data-testid="audit-load-more">
              Load older records
            </Button>
          </div>
        )}
      </div>
    </div>
  );
}
