import type { DomainEvent } from '../events';

/** The read-model row of one aggregate; `version` is the last event applied. */
export interface VersionedRow {
  version: number;
}

/**
 * Folds an event into a view row. Returns the new row, or undefined when the
 * event does not change this view.
 */
export type ViewReducer<Row extends VersionedRow> = (row: Row | undefined, event: DomainEvent) => Row | undefined;

export class ProjectionGapError extends Error {
  override readonly name = 'ProjectionGapError';
  constructor(view: string, event: DomainEvent, rowVersion: number) {
    super(
      `${view}: ${event.aggregateType} ${event.aggregateId} is at version ${rowVersion} but the next event is version ${event.version} ` +
        `(${event.type}, ${event.eventId}); an earlier event is missing. Rebuild the view from the store.`,
    );
  }
}

export interface FoldOutcome<Row> {
  changed: Map<string, Row>;
  applied: number;
  duplicates: number;
}

/**
 * Applies a batch of events to the current rows, strictly in stream order: an
 * event at or below the row's version is a redelivery and is dropped (this is
 * what makes the views idempotent), one beyond the next version is a gap and stops
 * the projector loudly rather than building a wrong row.
 */
export function foldIntoRows<Row extends VersionedRow>(
  view: string,
  reducer: ViewReducer<Row>,
  current: Map<string, Row>,
  events: readonly DomainEvent[],
): FoldOutcome<Row> {
  const changed = new Map<string, Row>();
  let applied = 0;
  let duplicates = 0;
  for (const event of events) {
    const row = changed.get(event.aggregateId) ?? current.get(event.aggregateId);
    const version = row?.version ?? 0;
    if (event.version <= version) {
      duplicates++;
      continue;
    }
    if (event.version !== version + 1) throw new ProjectionGapError(view, event, version);
    const next = reducer(row, event);
    if (next) {
      changed.set(event.aggregateId, next);
      applied++;
    }
  }
  return { changed, applied, duplicates };
}
