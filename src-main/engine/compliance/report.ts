/**
 * The erasure report: found where, done what, verification, times, operators,
 * ticket. It names the subject only by a fingerprint (SHA-256 of its ids), never
 * by id, e-mail or any value found, and the audit log records its hash, so an
 * edited report or an edited audit record is detected.
 */
import type { ErasureCase, SentTombstone } from '../../../src-shared/schemas/compliance';
import { ERASURE_ACTION_WORDS } from '../../../src-shared/erasure-action-words';
import { canonicalJson } from '../util/canonical-json';
import { sha256 } from './pg-subject-data';

export interface ErasureReport {
  kind: 'chronoscope.erasure-report';
  version: 1;
  generatedAt: string;
  generatedBy: string;
  case: {
    id: string;
    ticket: string;
    reason: string;
    requester: string;
    openedBy: string;
    openedAt: string;
    openedByOperator: { id: string; name: string; fingerprint: string } | null;
    twoPersonRule: boolean | null;
    approvedBy: string | null;
    approvedAt: string | null;
    approval: { operatorId: string; fingerprint: string; digest: string; signature: string; actions: string[] } | null;
  };
  connection: { id: string; name: string };
  subject: { searchedBy: string; fingerprint: string; subjects: number };
  /** `note`: how each place was read and, for topics, their retention and the date it removes the copies. */
  found: { location: string; kind: string; count: number; firstSeen: string | null; lastSeen: string | null; note: string | null }[];
  mentionsElsewhere: number;
  actions: { action: string; dryRun: string | null; outcome: string | null; affected: number | null; finishedAt: string | null }[];
  redaction: { changedEvents: number; changeListSha256: string } | null;
  /** Tombstones written to compacted topics (keys only as SHA-256), and topics where copies remain until retention removes them. */
  kafka: {
    tombstones: { topic: string; partition: number; keySha256: string; offset: string; at: string }[];
    retained: { topic: string; messages: number; removedFrom: string | null; removedBy: string | null }[];
  } | null;
  verification: ErasureCase['verification'] | null;
  /** The audit log's head when the report was made: the report follows it in the chain. */
  auditHeadBefore: { seq: number; hash: string } | null;
}

export function buildReport(input: {
  record: ErasureCase;
  connectionName: string;
  subjectIds: string[];
  changes: { eventId: string; sha256After: string }[];
  tombstones?: SentTombstone[];
  auditHead: { seq: number; hash: string } | null;
  user: string;
  now: Date;
}): ErasureReport {
  const { record } = input;
  // What was chosen last and everything that ran: a later dry run of one action must not hide what the others did.
  const ran = (record.outcomes ?? []).map((o) => o.action);
  const actions = ERASURE_ACTION_WORDS.map((a) => a.value).filter((a) => (record.actions ?? []).includes(a) || ran.includes(a));
  return {
    kind: 'chronoscope.erasure-report',
    version: 1,
    generatedAt: input.now.toISOString(),
    generatedBy: input.user,
    case: {
      id: record.id,
      ticket: record.ticket,
      reason: record.reason,
      requester: record.requester,
      openedBy: record.createdBy,
      openedAt: record.createdAt,
      openedByOperator: record.openedBy ? { id: record.openedBy.operatorId, name: record.openedBy.name, fingerprint: record.openedBy.fingerprint } : null,
      twoPersonRule: record.twoPersonRule ?? null,
      approvedBy: record.approval ? ('signature' in record.approval ? record.approval.name : record.approval.by) : null,
      approvedAt: record.approval?.at ?? null,
      // The signed approval: anyone holding the operator's public key can check it against the digest.
      approval:
        record.approval && 'signature' in record.approval
          ? {
              operatorId: record.approval.operatorId,
              fingerprint: record.approval.fingerprint,
              digest: record.approval.digest,
              signature: record.approval.signature,
              actions: record.approval.actions,
            }
          : null,
    },
    connection: { id: record.connectionId, name: input.connectionName },
    subject: {
      searchedBy: record.subject.by,
      fingerprint: sha256(`chronoscope-subject\n${[...input.subjectIds].sort().join('\n')}`),
      subjects: input.subjectIds.length,
    },
    found: (record.inventory?.locations ?? []).map((l) => ({
      location: l.location,
      kind: l.kind,
      count: l.count,
      firstSeen: l.firstSeen,
      lastSeen: l.lastSeen,
      note: l.kind === 'topic' ? (l.note ?? null) : null,
    })),
    mentionsElsewhere: record.inventory?.mentions.length ?? 0,
    actions: actions.map((action) => {
      const preview = record.previews?.find((p) => p.action === action);
      const outcome = record.outcomes?.find((o) => o.action === action);
      return {
        action,
        dryRun: preview ? (preview.refused ?? preview.summary) : null,
        outcome: outcome?.summary ?? null,
        affected: outcome?.affected ?? null,
        finishedAt: outcome?.finishedAt ?? null,
      };
    }),
    redaction: actions.includes('redact')
      ? { changedEvents: input.changes.length, changeListSha256: sha256(canonicalJson(input.changes.map((c) => [c.eventId, c.sha256After]))) }
      : null,
    kafka: record.topics
      ? {
          tombstones: (input.tombstones ?? []).map((t) => ({ topic: t.topic, partition: t.partition, keySha256: t.keySha256, offset: t.offset, at: t.at })),
          retained: (record.previews?.find((p) => p.action === 'tombstoneTopics')?.retained ?? []).map((r) => ({
            topic: r.topic,
            messages: r.messages,
            removedFrom: r.removedFrom,
            removedBy: r.removedBy,
          })),
        }
      : null,
    verification: record.verification ?? null,
    auditHeadBefore: input.auditHead,
  };
}

const escape = (text: unknown) => String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A printable page of the report (Chromium prints it to PDF). */
export function reportHtml(report: ErasureReport, sha: string): string {
  const rows = (cells: unknown[][]) => cells.map((r) => `<tr>${r.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`).join('');
  const v = report.verification;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Erasure report ${escape(report.case.ticket)}</title>
<style>body{font:13px system-ui,sans-serif;margin:32px;color:#111}table{border-collapse:collapse;width:100%;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}th{background:#f3f3f3}.ok{color:#070}.bad{color:#a00}code{font-size:11px}</style></head><body>
<h1>Erasure report</h1>
<table><tr><th>Ticket</th><td>${escape(report.case.ticket)}</td><th>Case</th><td>${escape(report.case.id)}</td></tr>
<tr><th>Requester</th><td>${escape(report.case.requester)}</td><th>Reason</th><td>${escape(report.case.reason)}</td></tr>
<tr><th>Opened</th><td>${escape(report.case.openedAt)} by ${escape(report.case.openedBy)}</td><th>Approved</th><td>${report.case.approvedBy ? `${escape(report.case.approvedAt)} by ${escape(report.case.approvedBy)}` : 'no second approval required'}</td></tr>
<tr><th>Connection</th><td>${escape(report.connection.name)}</td><th>Subject</th><td>searched by ${escape(report.subject.searchedBy)}; fingerprint <code>${escape(report.subject.fingerprint.slice(0, 16))}…</code></td></tr></table>
<h2>Found</h2><table><tr><th>Location</th><th>Kind</th><th>Count</th><th>First seen</th><th>Last seen</th><th>Note</th></tr>${rows(report.found.map((f) => [f.location, f.kind, f.count, f.firstSeen ?? '', f.lastSeen ?? '', f.note ?? '']))}</table>
<p>Events of other subjects mentioning this subject in free text (reported, not erased): ${report.mentionsElsewhere}</p>
<h2>Done</h2><table><tr><th>Action</th><th>Dry run</th><th>Outcome</th><th>Finished</th></tr>${rows(report.actions.map((a) => [a.action, a.dryRun ?? '', a.outcome ?? 'not run', a.finishedAt ?? '']))}</table>
${report.kafka && report.kafka.tombstones.length ? `<h3>Tombstones written</h3><table><tr><th>Topic</th><th>Partition</th><th>Key SHA-256</th><th>Offset</th><th>Sent</th></tr>${rows(report.kafka.tombstones.map((t) => [t.topic, t.partition, t.keySha256, t.offset, t.at]))}</table>` : ''}
${report.kafka && report.kafka.retained.length ? `<h3>Copies left to retention</h3><table><tr><th>Topic</th><th>Messages</th><th>Removed from</th><th>At the latest by</th></tr>${rows(report.kafka.retained.map((r) => [r.topic, r.messages, r.removedFrom ?? (r.removedBy === 'never' ? 'never' : 'unknown'), r.removedBy ?? '']))}</table>` : ''}
${report.redaction ? `<p>Redacted events: ${report.redaction.changedEvents}; change list SHA-256 <code>${escape(report.redaction.changeListSha256)}</code></p>` : ''}
<h2>Verification</h2>${
    v
      ? `<p class="${v.ok ? 'ok' : 'bad'}">${v.ok ? 'Passed' : 'Failed'} at ${escape(v.at)}: ${v.sealedFields} encrypted fields found, ${v.stillDecrypting} still decrypt.</p>
<table><tr><th>Location</th><th>Result</th><th>Detail</th></tr>${rows(v.checks.map((c) => [c.location, c.ok ? 'ok' : 'FAILED', c.detail]))}</table>
<h3>Still in clear</h3><table><tr><th>Location</th><th>Detail</th></tr>${rows(v.inClear.map((c) => [c.location, c.detail]))}</table>`
      : '<p>Not verified.</p>'
  }
<p>Generated ${escape(report.generatedAt)} by ${escape(report.generatedBy)}. Report SHA-256 <code>${escape(sha)}</code>, recorded in the audit log after record ${escape(report.auditHeadBefore?.seq ?? 0)}.</p>
<p>Audit chain head when the report was made: record ${escape(report.auditHeadBefore?.seq ?? 0)}, keyed hash <code>${escape(report.auditHeadBefore?.hash ?? 'none (empty log)')}</code>. Keep this line with the report: a log rewritten after today cannot reproduce it.</p>
</body></html>
`;
}
