import type { AuditRecord } from '../../../../src-shared/schemas/audit';
import { Badge, type Tone } from '../../ui/Badge';
import { Time } from '../../ui/Time';
import { ChevronIcon } from '../../ui/icons';
import { AuditDetails } from './AuditDetails';

const OUTCOME_TONES: Record<AuditRecord['outcome'], Tone> = {
  ok: 'success',
  error: 'danger',
  refused: 'warning',
  cancelled: 'neutral',
  pending: 'info',
  unknown: 'danger',
};
const OUTCOME_LABELS: Partial<Record<AuditRecord['outcome'], string>> = { pending: 'running', unknown: 'outcome unknown' };

interface AuditRowProps {
  record: AuditRecord;
  expanded: boolean;
  onToggle: () => void;
}

export function AuditRow({ record, expanded, onToggle }: AuditRowProps) {
  return (
    <div className={expanded ? 'audit-row audit-row--expanded' : 'audit-row'} data-testid="audit-row" data-operation={record.operation} data-seq={record.seq}>
      <div className="audit-grid audit-row__summary" role="row" onClick={onToggle}>
        <span role="cell">
          <button
            type="button"
            className="audit-row__toggle"
            aria-expanded={expanded}
            aria-label={expanded ? 'Hide details' : 'Show details'}
            onClick={(event) => {
              event.stopPropagation();
              onToggle();
            }}
          >
            <ChevronIcon open={expanded} />
          </button>
        </span>
        <span role="cell" className="mono">
          {record.seq}
        </span>
        <span role="cell" className="audit-row__time">
          <Time iso={record.at} compact />
        </span>
        <span role="cell" className="audit-row__clip">
          {record.user}
        </span>
        <span role="cell" className="mono audit-row__clip">
          {record.operation}
        </span>
        <span role="cell" className="mono audit-row__clip" title={record.target}>
          {record.target}
          {nameOf(record) && <span className="audit-row__name"> · {nameOf(record)}</span>}
        </span>
        <span role="cell">
          <Badge tone={OUTCOME_TONES[record.outcome]}>{OUTCOME_LABELS[record.outcome] ?? record.outcome}</Badge>
        </span>
        <span role="cell">{record.dryRun ? <Badge tone="info">dry run</Badge> : <span className="muted">real</span>}</span>
        <span role="cell" className="audit-row__clip" title={record.reason}>
          {record.reason || <span className="muted">—</span>}
        </span>
      </div>
      {expanded && <AuditDetails record={record} />}
    </div>
  );
}

/** The human name in the request (e.g. a profile's name), shown beside the stable target id. */
function nameOf(record: AuditRecord): string | undefined {
  const input = (record.details as { input?: { name?: unknown } } | undefined)?.input;
  return typeof input?.name === 'string' ? input.name : undefined;
}
