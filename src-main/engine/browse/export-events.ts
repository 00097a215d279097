import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { EventStore, ReadFeedOptions, StoredEventView } from '../../stores/event-store';
import { partialPathFor, placeNewFiles } from '../util/new-files';

/** A stream, or the feed with every filter the screen applies (`afterPosition` is where the screen's feed starts). */
export type ExportSource = { kind: 'stream'; streamId: string } | ({ kind: 'feed' } & Omit<ReadFeedOptions, 'limit'>);

export interface ExportRequest {
  source: ExportSource;
  format: 'ndjson' | 'csv';
  /** Wanted file; written as a hidden `.part` and given this name (or `-2`, `-3`, ... when taken) only when complete. */
  file: string;
  /** Applied to each page before it is written (personal data opened or marked). */
  transform?: (events: StoredEventView[]) => Promise<StoredEventView[]>;
}

export interface ExportOutcome {
  /** Where the export is: the wanted name, or a numbered one when that was taken (nothing is written over). */
  file: string;
  events: number;
  bytes: number;
}

const CSV_COLUMNS = [
  'position',
  'stream_id',
  'category',
  'version',
  'event_id',
  'type',
  'timestamp',
  'correlation_id',
  'causation_id',
  'data',
  'metadata',
] as const;

/**
 * Streams a stream or a filtered feed to a file, page by page, waiting for the
 * disk when it lags (back-pressure), so memory stays flat whatever the size.
 * A cancelled or failed export leaves no file behind, and an export never replaces a file.
 */
export async function exportEvents(store: EventStore, request: ExportRequest, report: (done: number) => void, signal: AbortSignal): Promise<ExportOutcome> {
  const partial = partialPathFor(request.file);
  await mkdir(dirname(request.file), { recursive: true });
  const out = createWriteStream(partial, { encoding: 'utf8', mode: 0o600, flags: 'wx' });
  let events = 0;
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  try {
    if (request.format === 'csv') await write(`${CSV_COLUMNS.join(',')}\n`);
    for await (const read of pages(store, request.source)) {
      signal.throwIfAborted();
      const page = request.transform ? await request.transform(read) : read;
      let chunk = '';
      for (const event of page) chunk += request.format === 'csv' ? csvLine(event) : `${JSON.stringify(event)}\n`;
      await write(chunk);
      events += page.length;
      report(events);
    }
    out.end();
    await once(out, 'finish');
    const [file] = await placeNewFiles(dirname(request.file), [{ partial, name: basename(request.file) }]);
    return { file: file!, events, bytes: out.bytesWritten };
  } catch (err) {
    // The file is opened asynchronously: wait until the stream is closed, or an open still in flight would recreate it after the rm.
    const closed = out.closed
      ? Promise.resolve()
      : once(out, 'close').then(
          () => undefined,
          () => undefined,
        );
    out.destroy();
    await closed;
    await rm(partial, { force: true });
    throw err;
  }
}

async function* pages(store: EventStore, source: ExportSource): AsyncGenerator<StoredEventView[]> {
  if (source.kind === 'stream') {
    let options: Parameters<EventStore['readStream']>[1] = { limit: 1000 };
    while (options) {
      const page = await store.readStream(source.streamId, options);
      if (page.events.length) yield page.events;
      options = page.next ?? undefined;
    }
    return;
  }
  const { kind: _kind, afterPosition, ...filters } = source;
  let after = afterPosition;
  for (;;) {
    const page = await store.readFeed({ ...filters, limit: 1000, ...(after ? { afterPosition: after } : {}) });
    if (page.events.length) yield page.events;
    if (!page.nextAfterPosition) return;
    after = page.nextAfterPosition;
  }
}

function csvLine(event: StoredEventView): string {
  const cells = [
    event.position ?? '',
    event.streamId,
    event.category ?? '',
    String(event.version),
    event.eventId ?? '',
    event.type,
    event.timestamp ?? '',
    event.correlationId ?? '',
    event.causationId ?? '',
    JSON.stringify(event.data ?? null),
    JSON.stringify(event.metadata ?? null),
  ];
  return `${cells.map(csvCell).join(',')}\n`;
}

/** RFC 4180 quoting; a leading =, +, - or @ is neutralised so spreadsheets do not run it as a formula. */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
