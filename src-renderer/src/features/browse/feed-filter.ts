import type { Query, QueryInput } from '../../app/routes';
import { parseTimeInput } from '../../ui/time';
import { NO_FIELD_FILTER, type FieldFilterText } from './field-filter';

/** The feed's filters as typed; kept in the address (`#/feed?types=…&category=…`). */
export interface FeedFilter {
  /** Comma-separated event types. */
  types: string;
  category: string;
  /** Typed times, `YYYY-MM-DD HH:mm[:ss]` (24-hour) in the display zone of the Settings. */
  from: string;
  to: string;
  /** First global position to show. */
  seek: string;
  /** Only the events of one correlation id. */
  correlation: string;
  field: FieldFilterText;
}

export const NO_FILTER: FeedFilter = { types: '', category: '', from: '', to: '', seek: '', correlation: '', field: NO_FIELD_FILTER };

const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$/;

/** The filters an address names; a value that could not have been typed is ignored. */
export function feedFilterFromQuery(query: Query): FeedFilter {
  const time = (value: string | undefined) => (value !== undefined && LOCAL_TIME.test(value) ? value : '');
  return {
    types: query.types ?? '',
    category: query.category ?? '',
    from: time(query.from),
    to: time(query.to),
    seek: query.seek !== undefined && /^\d{1,20}$/.test(query.seek) ? query.seek : '',
    correlation: query.correlation ?? '',
    field: {
      in: query.fieldIn === 'metadata' ? 'metadata' : 'data',
      path: query.fieldPath ?? '',
      op: query.fieldOp === 'contains' ? 'contains' : 'equals',
      value: query.fieldValue ?? '',
    },
  };
}

export function feedFilterToQuery(filter: FeedFilter): QueryInput {
  const fieldSet = filter.field.path !== '';
  return {
    types: filter.types,
    category: filter.category,
    from: filter.from,
    to: filter.to,
    seek: filter.seek,
    correlation: filter.correlation,
    // The field's options mean nothing without a path; the defaults are left out.
    fieldIn: fieldSet && filter.field.in !== NO_FIELD_FILTER.in ? filter.field.in : undefined,
    fieldPath: filter.field.path,
    fieldOp: fieldSet && filter.field.op !== NO_FIELD_FILTER.op ? filter.field.op : undefined,
    fieldValue: filter.field.value,
  };
}

export function isoOf(typed: string): string | undefined {
  return typed ? parseTimeInput(typed) : undefined;
}

/** Seeking to position P reads after P - 1. */
export function afterOf(seek: string): string | undefined {
  if (!/^\d{1,20}$/.test(seek)) return undefined;
  const position = BigInt(seek);
  return position > 0n ? String(position - 1n) : undefined;
}

export { describeFeedFilters } from '../../../../src-shared/feed-filters';
