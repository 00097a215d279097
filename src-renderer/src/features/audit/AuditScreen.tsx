import { useQueryState } from '../../app/routes';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { Panel } from '../../ui/Panel';
import { useDebounced } from '../../ui/use-debounced';
import { auditFilterFromQuery, auditFilterToQuery, isFiltered, listInputOf, NO_FILTER } from './audit-filter';
import { AuditFilters } from './AuditFilters';
import { AuditTable } from './AuditTable';
import { useAuditRecords } from './use-audit-records';
import { VerifyChain } from './VerifyChain';
import './audit.css';

export function AuditScreen() {
  const [filter, setFilter] = useQueryState(auditFilterFromQuery, auditFilterToQuery);
  // One query when typing pauses, not one per keystroke.
  const text = useDebounced(filter.text, 300);
  const input = listInputOf({ ...filter, text });
  const pages = useAuditRecords(input);
  const records = pages.data?.pages.flatMap((page) => page.records) ?? [];

  return (
    <div className="audit">
      <VerifyChain />
      <AuditFilters value={filter} onChange={(next) => setFilter(next, next.text === filter.text ? 'push' : 'replace')} />
      {pages.error && (
        <Alert tone="danger" title="Could not read the audit log">
          {pages.error.message}
        </Alert>
      )}
      <Panel
        title={`Records${pages.data ? ` (${records.length}${pages.hasNextPage ? '+' : ''})` : ''}`}
        actions={
          isFiltered(filter) && (
            <Button size="sm" variant="ghost" onClick={() => setFilter(NO_FILTER, 'push')}>
              Clear filters
            </Button>
          )
        }
        className="audit__records"
        flush
      >
        <AuditTable
          records={records}
          loading={pages.isPending}
          hasMore={pages.hasNextPage}
          loadingMore={pages.isFetchingNextPage}
          onLoadMore={() => void pages.fetchNextPage()}
          emptyMessage={isFiltered(filter) ? 'No record matches these filters.' : 'Nothing has been recorded yet.'}
        />
      </Panel>
    </div>
  );
}
