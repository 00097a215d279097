/**
 * The erasure report as a PDF, made here in the main process with PDFKit (no browser):
 * what was found, what was done and how it was verified, in plain words, times in the
 * user's format and zone, and the audit chain head the report was chained after.
 */
import PDFDocument from 'pdfkit';
import { erasureActionWords } from '../../../src-shared/erasure-action-words';
import { formatTimestamp, type DisplayZone } from '../../../src-shared/time-format';
import type { ErasureReport } from './report';

const MARGIN = 54;
const MUTED = '#555555';
const BAD = '#a00000';
const GOOD = '#006400';

/** Where each kind of place was found, in words. */
const KIND_WORDS: Record<string, string> = {
  events: 'events',
  snapshots: 'snapshots',
  readModel: 'read model',
  keyStore: 'encryption keys',
  topic: 'Kafka topic',
};

/**
 * The PDF's standard fonts encode Windows-1252 only: any other character is shown as `?`
 * rather than as a wrong glyph. (The report holds no personal data of the subject; these
 * are ticket numbers, names of places and operators.)
 */
export function printable(text: string): string {
  return text.replace(/[^\x20-\x7e\xa0-\xff\n\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026\u20ac]/g, '?');
}

/** ISO instants inside sentences the engine wrote (retention notes, check details), in the report's format. */
export function timesIn(text: string, zone: DisplayZone): string {
  return text.replace(/\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)/g, (iso) => formatTimestamp(iso, zone));
}

export function reportPdf(report: ErasureReport, sha256: string, zone: DisplayZone): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: { Title: `Erasure report ${report.case.ticket}`, Author: 'Chronoscope', Subject: `Case ${report.case.id}` },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const time = (iso: string | null | undefined) => (iso ? formatTimestamp(iso, zone) : 'not recorded');
  const words = (text: string) => printable(timesIn(text, zone));
  const heading = (text: string) => doc.moveDown(0.8).font('Helvetica-Bold').fontSize(13).fillColor('black').text(words(text)).moveDown(0.3);
  const line = (text: string, options: { color?: string; bold?: boolean; size?: number } = {}) =>
    doc
      .font(options.bold ? 'Helvetica-Bold' : 'Helvetica')
      .fontSize(options.size ?? 10)
      .fillColor(options.color ?? 'black')
      .text(words(text), { paragraphGap: 3 });
  const field = (label: string, value: string) => {
    doc
      .font('Helvetica-Bold')
      .fontSize(10)
      .fillColor('black')
      .text(words(`${label}: `), { continued: true });
    doc.font('Helvetica').text(words(value), { paragraphGap: 2 });
  };
  const bullet = (text: string, color?: string) => line(`\u2022 ${text}`, color ? { color } : {});

  doc.font('Helvetica-Bold').fontSize(20).text('Erasure report');
  line(`Ticket ${report.case.ticket}, made ${time(report.generatedAt)} by ${report.generatedBy}`, { color: MUTED });

  heading('The request');
  field('Ticket', report.case.ticket);
  field('Requested by', report.case.requester);
  field('Reason', report.case.reason);
  field('Opened', `${time(report.case.openedAt)} by ${report.case.openedByOperator?.name ?? report.case.openedBy}`);
  field(
    'Approved',
    report.case.approvedBy
      ? `${time(report.case.approvedAt)} by ${report.case.approvedBy}${report.case.approval ? ' (signed with their operator key)' : ''}`
      : 'no second approval was required',
  );
  field('Event store', report.connection.name);
  field(
    'Data subject',
    `found by ${report.subject.searchedBy}; ${report.subject.subjects} subject id(s), named here only by the fingerprint ${report.subject.fingerprint.slice(0, 16)}...`,
  );

  heading("Where the subject's data was found");
  if (report.found.length === 0) line('Nowhere: the search found no data about the subject.');
  for (const place of report.found) {
    const when = place.firstSeen ? `, from ${time(place.firstSeen)} to ${time(place.lastSeen)}` : '';
    const kind = KIND_WORDS[place.kind];
    // The kind only where the place's name does not already say it ("events", "events (free text of others)").
    const named = kind && !place.location.startsWith(kind) ? `${place.location} (${kind})` : place.location;
    bullet(`${named}: ${place.count} item(s)${when}${place.note ? `. ${place.note}` : ''}`);
  }
  if (report.mentionsElsewhere)
    line(`${report.mentionsElsewhere} event(s) of other people mention the subject in free text: they were reported for review, not erased.`, { color: MUTED });

  heading('What was done');
  if (report.actions.length === 0) line('No erasure action was chosen.');
  for (const action of report.actions) {
    line(erasureActionWords(action.action), { bold: true });
    if (action.dryRun) line(`Dry run: ${action.dryRun}`, { color: MUTED });
    line(action.outcome ? `Done ${time(action.finishedAt)}: ${action.outcome}` : 'Not run.', action.outcome ? {} : { color: BAD });
  }
  if (report.redaction) line(`${report.redaction.changedEvents} event(s) were redacted; the list of changes has SHA-256 ${report.redaction.changeListSha256}.`);
  if (report.kafka?.tombstones.length) {
    line(`${report.kafka.tombstones.length} tombstone(s) were written to compacted topics:`);
    for (const t of report.kafka.tombstones.slice(0, 50)) bullet(`${t.topic} partition ${t.partition}, offset ${t.offset}, at ${time(t.at)}`);
    if (report.kafka.tombstones.length > 50) line(`... and ${report.kafka.tombstones.length - 50} more (listed in the JSON report).`, { color: MUTED });
  }
  for (const kept of report.kafka?.retained ?? []) {
    const until =
      kept.removedBy === 'never'
        ? 'never removed by retention'
        : kept.removedBy
          ? `removed by retention by ${time(kept.removedBy)} at the latest`
          : 'removal time unknown';
    bullet(`${kept.messages} message(s) stay in topic ${kept.topic} until retention removes them: ${until}.`);
  }

  heading('Verification');
  const v = report.verification;
  if (!v) line('The erasure was not verified.', { color: BAD });
  else {
    line(`${v.ok ? 'Passed' : 'Failed'} on ${time(v.at)}: ${v.sealedFields} encrypted field(s) found, ${v.stillDecrypting} of them still decrypt.`, {
      bold: true,
      color: v.ok ? GOOD : BAD,
    });
    for (const check of v.checks) bullet(`${check.location}: ${check.ok ? 'passed' : 'FAILED'} (${check.detail})`, check.ok ? undefined : BAD);
    if (v.inClear.length) line('Still held in clear:', { bold: true });
    for (const item of v.inClear) bullet(`${item.location}: ${item.detail}`, item.ok ? MUTED : BAD);
  }

  heading('Proof');
  line(`This report's SHA-256 (of its JSON form) is ${sha256}; it is recorded in the audit log after record ${report.auditHeadBefore?.seq ?? 0}.`);
  line(
    report.auditHeadBefore
      ? `Audit chain head when the report was made: record ${report.auditHeadBefore.seq}, keyed hash ${report.auditHeadBefore.hash}. Keep this line with the report: a log rewritten afterwards cannot reproduce it.`
      : 'The audit log was empty when the report was made.',
  );
  line(`Times are shown in ${zone === 'utc' ? 'UTC' : 'the local time of the computer that made the report'}, as in the Settings.`, { color: MUTED, size: 9 });
  doc.end();
  return done;
}
