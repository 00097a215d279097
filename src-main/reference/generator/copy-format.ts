import type { DomainEvent } from '../events';
import type { SubjectKey } from '../../engine/personal-data/sealed-fields';
import type { Snapshot } from '../store';
import { generateBatches, type GenerateOptions } from './generate';

export const COPY_EVENTS_SQL = 'COPY events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, metadata, "timestamp") FROM STDIN';

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** Escapes a value for COPY's text format: backslash, and the separators should they ever appear. */
export function copyText(value: string): string {
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : value;
}

/** JSON never holds a raw tab/newline/CR (JSON.stringify escapes them), so only its backslashes need doubling. */
function copyJson(value: unknown): string {
  const json = JSON.stringify(value);
  return json.includes('\\') ? json.replaceAll('\\', '\\\\') : json;
}

/** One event as a line of COPY text (columns as in COPY_EVENTS_SQL). */
export function copyLine(e: DomainEvent): string {
  return `${e.eventId}\t${copyText(e.aggregateId)}\t${e.aggregateType}\t${copyText(e.type)}\t${e.version}\t${copyJson(e.data)}\t${copyJson(e.metadata)}\t${e.timestamp}\n`;
}

/**
 * A generated batch already serialised for COPY: what crosses from the
 * generating worker to the writing thread (one buffer, no event objects).
 */
export interface CopyBatch {
  /** Number of events (lines) in `copy`. */
  count: number;
  /** UTF-8 COPY text of the batch's events. */
  copy: Uint8Array;
  subjectKeys: SubjectKey[];
  snapshots: Snapshot[];
  /** Milliseconds spent generating and serialising this batch (for the generation/database split). */
  generateMs: number;
}

/** Batches as COPY text, on the calling thread. Same seed, same bytes (the worker runs exactly this). */
export function* generateCopyBatches(options: GenerateOptions): Generator<CopyBatch> {
  const batches = generateBatches(options);
  for (;;) {
    const started = performance.now();
    const next = batches.next();
    if (next.done) return;
    const { events, subjectKeys, snapshots } = next.value;
    let text = '';
    for (let i = 0; i < events.length; i++) text += copyLine(events[i]!);
    const copy = Buffer.from(text, 'utf8');
    yield { count: events.length, copy, subjectKeys, snapshots, generateMs: performance.now() - started };
  }
}
