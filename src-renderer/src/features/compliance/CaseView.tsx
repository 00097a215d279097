import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ErasureAction, ErasureCase } from '../../../../src-shared/schemas/compliance';
import { confirmationOf } from '../../client/confirmation';
import { messageOf } from '../../client/errors';
import { useMutationOp, useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { CheckboxField, SelectField, TextField } from '../../ui/inputs';
import { Panel } from '../../ui/Panel';
import { formatBytes } from '../../ui/format';
import { formatTimestamp } from '../../ui/time';
import { useJobs } from '../jobs/use-jobs';
import { ERASURE_ACTION_WORDS, erasureActionWords } from '../../../../src-shared/erasure-action-words';
import { ReadOnlyNotice } from '../connections/ReadOnlyNotice';
import { EXCLUSIVE_ACTIONS } from './erasure-actions';
import { FileOffer } from './FileOffer';
import { chosen, NO_OPERATOR, OperatorFields, type OperatorChoice } from './Operators';

/** One request's journey: inventory, export, dry runs, approval, real run, verification, report. */
export function CaseView({ caseId }: { caseId: string }) {
  const jobs = useJobs();
  // Its jobs' progress refreshes it (src-shared/contract/job-kinds.ts): no polling.
  const record = useOperation('compliance.getCase', { caseId });
  const c = record.data;
  if (record.error)
    return (
      <Alert tone="danger" title="Request not found">
        {messageOf(record.error)}
      </Alert>
    );
  if (!c) return null;
  const jobOf = (id: string | undefined) => jobs?.find((j) => j.id === id);
  return (
    <>
      <Panel title={`Request ${c.ticket}`} testId="compliance-case-view">
        <p className="compliance__hint">
          {c.subject.by} · requested by {c.requester} · {c.reason} · opened by {c.openedBy ? `${c.openedBy.name} (${c.openedBy.operatorId})` : c.createdBy}
          {c.twoPersonRule ? ' · two-person rule' : ''} · state <strong data-testid="compliance-state">{c.state}</strong>
        </p>
      </Panel>
      <InventoryPanel record={c} job={jobOf(c.searchJobId)} />
      {c.inventory && c.inventory.subjectIds.length > 0 && (
        <>
          <ExportPanel record={c} />
          <ActionsPanel record={c} job={jobOf(c.eraseJobId)} />
          <VerificationPanel record={c} />
          <ReportPanel record={c} />
        </>
      )}
    </>
  );
}

type JobLike = { state: string; progress: { done: number; total?: number; message?: string }; error?: string } | undefined;

function JobLine({ job }: { job: JobLike }) {
  if (!job) return null;
  return (
    <p className="compliance__hint" data-testid="compliance-job">
      Job {job.state}
      {job.progress.message ? `: ${job.progress.message}` : ''}
      {job.error ? ` — ${job.error}` : ''}
    </p>
  );
}

function InventoryPanel({ record, job }: { record: ErasureCase; job: JobLike }) {
  const search = useMutationOp('compliance.search');
  const profiles = useOperation('connections.list', {});
  const kafkaProfiles = (profiles.data ?? []).filter((p) => p.kind === 'kafka');
  const [kafkaId, setKafkaId] = useState('');
  const [topics, setTopics] = useState('domain_events');
  const [days, setDays] = useState('30');
  const inv = record.inventory;
  const start = () => {
    const names = topics
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const kafka =
      kafkaId && names.length
        ? { kafka: { connectionId: kafkaId, topics: names, from: new Date(Date.now() - Number(days || '0') * 86_400_000).toISOString() } }
        : {};
    search.mutate({ caseId: record.id, connectionId: record.connectionId, ...kafka });
  };
  return (
    <Panel title="1. Inventory" testId="compliance-inventory">
      {kafkaProfiles.length > 0 && (
        <div className="compliance__row">
          <SelectField
            label="Kafka copies"
            value={kafkaId}
            onChange={setKafkaId}
            options={[{ value: '', label: 'Do not search Kafka' }, ...kafkaProfiles.map((p) => ({ value: p.id, label: p.name }))]}
            testId="compliance-kafka"
          />
          {kafkaId && <TextField label="Topics (comma-separated)" value={topics} onChange={setTopics} testId="compliance-topics" />}
          {kafkaId && <TextField label="Last days" value={days} onChange={setDays} testId="compliance-days" />}
        </div>
      )}
      <div className="compliance__row">
        <Button variant="primary" size="sm" busy={search.isPending || job?.state === 'running'} data-testid="compliance-search" onClick={start}>
          {inv ? 'Search again' : 'Search everywhere'}
        </Button>
      </div>
      <JobLine job={job} />
      {search.error && <div className="compliance__error">{messageOf(search.error)}</div>}
      {inv && inv.subjectIds.length === 0 && (
        <Alert tone="warning" title="No subject found">
          Nothing matches this request.
        </Alert>
      )}
      {inv && inv.subjectIds.length > 0 && (
        <>
          <table className="data-table" data-testid="compliance-locations">
            <thead>
              <tr>
                <th>Location</th>
                <th>Count</th>
                <th>First seen</th>
                <th>Last seen</th>
              </tr>
            </thead>
            <tbody>
              {inv.locations.map((l) => (
                <tr key={`${l.kind}:${l.location}`}>
                  <td>
                    {l.location}
                    {l.byType && (
                      <div className="compliance__hint">
                        {Object.entries(l.byType)
                          .map(([t, n]) => `${t} ${n}`)
                          .join(', ')}
                      </div>
                    )}
                    {l.note && <div className="compliance__hint">{l.note}</div>}
                  </td>
                  <td>{l.count}</td>
                  <td>{l.firstSeen ? formatTimestamp(l.firstSeen) : ''}</td>
                  <td>{l.lastSeen ? formatTimestamp(l.lastSeen) : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {inv.mentions.length > 0 && (
            <Alert tone="warning" title={`${inv.mentions.length} event(s) of others mention the subject`}>
              These are reported, never erased automatically:{' '}
              {inv.mentions
                .slice(0, 5)
                .map((m) => `${m.eventType} at ${m.position}`)
                .join(', ')}
            </Alert>
          )}
          {inv.advice.map((a) => (
            <p key={a.path} className="compliance__hint" data-testid="compliance-advice">
              {a.reason} <code>{a.sql}</code>
            </p>
          ))}
          <p className="compliance__hint">
            Searched in {inv.elapsedMs} ms{inv.scanned ? `, ${inv.scanned} events scanned` : ''}.
          </p>
        </>
      )}
    </Panel>
  );
}

function ExportPanel({ record }: { record: ErasureCase }) {
  const exporter = useMutationOp('compliance.export');
  return (
    <Panel title="2. Access export" testId="compliance-export">
      <div className="compliance__row">
        <Button
          size="sm"
          busy={exporter.isPending}
          data-testid="compliance-export-start"
          onClick={() => exporter.mutate({ caseId: record.id, connectionId: record.connectionId })}
        >
          Export everything found
        </Button>
      </div>
      {record.exported && (
        <div className="compliance__row" data-testid="compliance-exported">
          <span className="compliance__hint" title={record.exported.path}>
            {record.exported.files.length} files, {formatBytes(record.exported.bytes)}, made {formatTimestamp(record.exported.at)}
          </span>
          {record.exported.archive && <FileOffer path={record.exported.archive} label="Download the export (zip)" testId="compliance-export-file" />}
        </div>
      )}
      {exporter.error && <div className="compliance__error">{messageOf(exporter.error)}</div>}
    </Panel>
  );
}

function ActionsPanel({ record, job }: { record: ErasureCase; job: JobLike }) {
  const [actions, setActions] = useState<ErasureAction[]>(record.actions ?? ['shred', 'purgeReadModels', 'deleteSnapshots']);
  const [token, setToken] = useState<string | undefined>();
  const [approver, setApprover] = useState<OperatorChoice>(NO_OPERATOR);
  const [typedTicket, setTypedTicket] = useState('');
  // A crypto-shred cannot be undone: the operator types the request's ticket to run it.
  const shredding = actions.includes('shred');
  const ticketConfirmed = !shredding || typedTicket.trim() === record.ticket;
  const dry = useMutationOp('compliance.erase');
  const run = useMutationOp('compliance.erase');
  const approve = useMutationOp('compliance.approve');
  const toggle = (action: ErasureAction, on: boolean) => {
    setToken(undefined);
    setActions((list) => (on ? [...list.filter((a) => a !== EXCLUSIVE_ACTIONS[action]), action] : list.filter((a) => a !== action)));
  };
  const queryClient = useQueryClient();
  // This dry run keeps its previews on the case (and moves it to "previewed"), which a dry run's table entry does not make stale.
  const refreshCase = () => {
    for (const op of ['compliance.getCase', 'compliance.listCases']) void queryClient.invalidateQueries({ queryKey: [op] });
  };
  const previews = record.previews ?? [];
  return (
    <Panel title="3. Erasure" testId="compliance-actions">
      <ReadOnlyNotice connectionId={record.connectionId} op="compliance.erase" />
      {ERASURE_ACTION_WORDS.map((a) => (
        <CheckboxField
          key={a.value}
          label={a.label}
          checked={actions.includes(a.value)}
          onChange={(on) => toggle(a.value, on)}
          testId={`compliance-action-${a.value}`}
        />
      ))}
      <div className="compliance__row">
        <Button
          size="sm"
          busy={dry.isPending}
          data-testid="compliance-dry-run"
          onClick={() =>
            dry.mutate(
              { caseId: record.id, connectionId: record.connectionId, actions, dryRun: true },
              {
                onSuccess: (result) => {
                  setToken(confirmationOf(result));
                  refreshCase();
                },
              },
            )
          }
        >
          Dry run
        </Button>
      </div>
      {previews.length > 0 && (
        <table className="data-table" data-testid="compliance-previews">
          <tbody>
            {previews.map((p) => (
              <tr key={p.action}>
                <td>{erasureActionWords(p.action)}</td>
                <td>
                  {p.refused ? <span className="compliance__bad">Refused: {p.refused}</span> : p.summary}
                  {p.redactions?.slice(0, 5).map((r) => (
                    <div key={r.position} className="compliance__hint">
                      #{r.position} {r.eventType}: {r.changes.map((ch) => `${ch.path} ${ch.before} → ${ch.after}`).join('; ')}
                    </div>
                  ))}
                  {p.tombstones?.slice(0, 5).map((t) => (
                    <div key={`${t.topic}/${t.partition}/${t.keySha256}`} className="compliance__hint" data-testid="compliance-tombstone">
                      {t.topic} partition {t.partition}: key SHA-256 <code>{t.keySha256.slice(0, 16)}…</code> ({t.messages} message(s))
                    </div>
                  ))}
                  {p.retained?.map((r) => (
                    <div key={r.topic} className="compliance__hint" data-testid="compliance-retained">
                      {r.topic}: {r.messages} message(s) stay{' '}
                      {r.removedBy === 'never'
                        ? 'for good (no retention)'
                        : r.removedFrom
                          ? `until retention removes them, from ${formatTimestamp(r.removedFrom)}${r.removedBy ? ` (at the latest ${formatTimestamp(r.removedBy)})` : ''}`
                          : 'until retention removes them'}
                    </div>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="compliance__row">
        <OperatorFields label="Second operator approves the dry run's actions" value={approver} onChange={setApprover} testId="compliance-approver" />
        <Button
          size="sm"
          busy={approve.isPending}
          disabled={!chosen(approver)}
          data-testid="compliance-approve"
          onClick={() => {
            run.reset();
            approve.mutate({ caseId: record.id, approver }, { onSuccess: () => setApprover(NO_OPERATOR) });
          }}
        >
          Approve
        </Button>
        {record.approval && (
          <span className="compliance__hint" data-testid="compliance-approval">
            {'signature' in record.approval
              ? `Approved by ${record.approval.name} (key ${record.approval.fingerprint.slice(0, 8)}) for ${record.approval.actions.map(erasureActionWords).join('; ')}`
              : `Approved by name only (${record.approval.by}): not a signed approval`}
          </span>
        )}
      </div>
      {shredding && token && (
        <TextField
          label={`Type the ticket ${record.ticket} to confirm: the crypto-shred cannot be undone`}
          value={typedTicket}
          onChange={setTypedTicket}
          placeholder={record.ticket}
          testId="compliance-confirm-ticket"
        />
      )}
      <div className="compliance__row">
        <Button
          variant="danger"
          busy={run.isPending || job?.state === 'running'}
          disabled={!token || !ticketConfirmed}
          title={token && !ticketConfirmed ? `Type the ticket ${record.ticket} first` : undefined}
          data-testid="compliance-run"
          onClick={() =>
            run.mutate({ caseId: record.id, connectionId: record.connectionId, actions, confirmation: token, reason: `${record.ticket}: ${record.reason}` })
          }
        >
          Run erasure
        </Button>
      </div>
      <JobLine job={job} />
      {(record.outcomes ?? []).map((o) => (
        <p key={o.action} className="compliance__hint" data-testid="compliance-outcome">
          {erasureActionWords(o.action)}: {o.summary}
        </p>
      ))}
      {(dry.error ?? run.error ?? approve.error) && <div className="compliance__error">{messageOf(dry.error ?? run.error ?? approve.error)}</div>}
    </Panel>
  );
}

function VerificationPanel({ record }: { record: ErasureCase }) {
  const verify = useMutationOp('compliance.verify');
  const v = record.verification;
  return (
    <Panel title="4. Verification" testId="compliance-verification">
      <div className="compliance__row">
        <Button
          size="sm"
          busy={verify.isPending}
          data-testid="compliance-verify"
          onClick={() => verify.mutate({ caseId: record.id, connectionId: record.connectionId })}
        >
          Verify now
        </Button>
      </div>
      {v && (
        <>
          <p className={v.ok ? 'compliance__ok' : 'compliance__bad'} data-testid="compliance-verdict">
            {v.ok ? 'Nothing of the subject decrypts anywhere' : 'Verification failed'}: {v.sealedFields} encrypted fields, {v.stillDecrypting} still decrypt.
          </p>
          <table className="data-table">
            <tbody>
              {[...v.checks, ...v.inClear].map((check, i) => (
                <tr key={i}>
                  <td>{check.location}</td>
                  <td className={check.ok ? 'compliance__ok' : 'compliance__bad'}>{check.ok ? 'ok' : 'attention'}</td>
                  <td>{check.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {verify.error && <div className="compliance__error">{messageOf(verify.error)}</div>}
    </Panel>
  );
}

function ReportPanel({ record }: { record: ErasureCase }) {
  const report = useMutationOp('compliance.report');
  return (
    <Panel title="5. Report" testId="compliance-report">
      <div className="compliance__row">
        <Button size="sm" variant="primary" busy={report.isPending} data-testid="compliance-report-start" onClick={() => report.mutate({ caseId: record.id })}>
          Generate report
        </Button>
      </div>
      {record.report && (
        <>
          <p className="compliance__hint" data-testid="compliance-report-done">
            Report made {formatTimestamp(record.report.at)}, SHA-256 <code>{record.report.sha256}</code>, chained into the audit log as record{' '}
            {record.report.auditSeq}.
          </p>
          <div className="compliance__row">
            {record.report.pdf && <FileOffer path={record.report.pdf} label="Download the report (PDF)" testId="compliance-report-pdf" />}
            <FileOffer path={record.report.json} label="JSON" testId="compliance-report-json" />
            <FileOffer path={record.report.html} label="HTML" testId="compliance-report-html" />
          </div>
        </>
      )}
      {report.error && <div className="compliance__error">{messageOf(report.error)}</div>}
    </Panel>
  );
}
