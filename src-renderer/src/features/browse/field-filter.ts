import type { InputOf } from '../../../../src-shared/operations';
import type { StoredEvent } from '../../../../src-shared/schemas/browse';

export type FieldFilter = NonNullable<InputOf<'feed.read'>['field']>;

export interface FieldFilterText {
  in: FieldFilter['in'];
  /** Dotted, e.g. `customer.address.city`. */
  path: string;
  op: FieldFilter['op'];
  value: string;
}

export const NO_FIELD_FILTER: FieldFilterText = { in: 'data', path: '', op: 'equals', value: '' };

/** The operation's `field` input, once a path is given. */
export function fieldFilterOf(text: FieldFilterText): FieldFilter | undefined {
  const path = text.path
    .split('.')
    .map((s) => s.trim())
    .filter(Boolean);
  if (path.length === 0) return undefined;
  return { in: text.in, path, op: text.op, value: text.value };
}

/** The same test on the client, for live events (the tail does not filter by field). */
export function matchesField(event: StoredEvent, field: FieldFilter | undefined): boolean {
  if (!field) return true;
  let node: unknown = field.in === 'data' ? event.data : event.metadata;
  for (const segment of field.path) {
    if (typeof node !== 'object' || node === null) return false;
    node = (node as Record<string, unknown>)[segment];
  }
  if (node === undefined) return false;
  const text = typeof node === 'string' ? node : JSON.stringify(node);
  return field.op === 'equals' ? text === field.value : text.includes(field.value);
}
