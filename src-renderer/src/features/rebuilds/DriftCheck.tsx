import { useState } from 'react';
import type { z } from 'zod';
import type { InputOf } from '../../../../src-shared/operations';
import type { driftedRow, driftReport } from '../../../../src-shared/schemas/drift';
import { messageOf } from '../../client/errors';
import { useMutationOp } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Badge, type Tone } from '../../ui/Badge';
import { Button } from '../../ui/Button';
import { Panel } from '../../ui/Panel';
import { SegmentedField, TextField } from '../../ui/inputs';
import { formatTimestamp } from '../../ui/time';
import { FileOffer } from '../compliance/FileOffer';
import { ReadOnlyNotice, REASON_FIRST } from '../connections/ReadOnlyNotice';
import { isActive, jobResult, useJob } from '../jobs/use-jobs';
import { DefinitionPicker, definitionInput, EMPTY_DRAFT, type DefinitionDraft } from './DefinitionPicker';
import { DriftRateChart } from './DriftRateChart';
import type { CheckpointKeyInput } from '../../../../src-shared/schemas/checkpoints';
import { useOperation } from '../../client/operation-hooks';

type DriftReport = z.infer<typeof driftReport>;
type DriftedRow = z.infer<typeof driftedRow>;
type ModeKind = 'sample' | 'full' | 'streams';

/** What each kind of drift means, in the words an operator reads a diff with. */
export const DRIFT_KINDS: Record<DriftedRow['kind'], { label: string; tone: Tone; explain: string }> = {
  edited: {
    label: 'edited',
    tone: 'danger',
    explain: 'The row differs from what its events give, and the projector had applied them: changed outside the projector.',
  },
  missing: { label: 'missing', tone: 'danger', explain: 'The events give this row, but the read model has none: deleted, or never written.' },
  orphan: { label: 'orphan', tone: 'warning', explain: 'The read model has this row, but no stream of the log gives it.' },
  'stale-skipped': {
    label: 'skipped event',
    tone: 'warning',
    explain: "The row is what its events give without the last one, though the projector's checkpoint passed that event: the projector skipped it.",
  },
};

function modeInput(kind: ModeKind, percent: string, streams: string): InputOf<'drift.verify'>['mode'] {
  if (kind === 'full') return { kind: 'full' };
  if (kind === 'streams') return { kind: 'streams', streamIds: [...new Set(streams.split(/[\s,]+/).filter(Boolean))] };
  return { kind: 'sample', fraction: Number(percent) / 100 };
}

/**
 * Checks a read model against the log without touching it (a sample, every row, or chosen streams),
 * shows which rows drifted and why, and repairs exactly those streams through a partial rebuild.
 */
export function DriftCheck({
  connectionId,
  model,
  hasBuiltin,
  collection,
  projector,
  onClose,
  onRepairStarted,
}: {
  connectionId: string;
  model: string;
  hasBuiltin: boolean;
  collection: boolean;
  /** The checkpoint of the projector that keeps the model, for its lag beside the drift rate. */
  projector: CheckpointKeyInput | undefined;
  onClose: () => void;
  onRepairStarted: (rebuildId: string) => void;
}) {
  const [draft, setDraft] = useState<DefinitionDraft>({ kind: hasBuiltin ? 'builtin' : 'folder', ...EMPTY_DRAFT });
  const [modeKind, setModeKind] = useState<ModeKind>('sample');
  const [percent, setPercent] = useState('1');
  const [streams, setStreams] = useState('');
  const verify = useMutationOp('drift.verify');
  // Opened from a drift warning: the model's newest check (scheduled or by hand) shows until another is started here.
  const status = useOperation('drift.status', { connectionId }, { refetchInterval: 15_000 });
  const modelStatus = status.data?.models.find((m) => m.model === model);
  const job = useJob('drift.verify', verify.data?.jobId ?? modelStatus?.runningJobId ?? modelStatus?.last?.jobId);
  const report = jobResult(job);
  const rows = collection ? 'documents' : 'rows';
  return (
    <Panel
      title={`Check ${model} for drift`}
      testId="drift-check"
      actions={
        <Button size="sm" variant="ghost" onClick={onClose}>
          Close
        </Button>
      }
    >
      <p className="muted">
        Replays the streams behind the {rows} of <span className="mono">{model}</span> with its definition and compares the result with the live {rows}. Nothing
        is written; a repair rebuilds only the streams that drifted.
      </p>
      <DefinitionPicker draft={draft} onChange={setDraft} hasBuiltin={hasBuiltin} />
      <SegmentedField
        label="What to check"
        value={modeKind}
        onChange={setModeKind}
        testId="drift-mode"
        options={[
          { value: 'sample' as const, label: 'A random sample' },
          { value: 'full' as const, label: `Every ${collection ? 'document' : 'row'}` },
          { value: 'streams' as const, label: 'Stream ids' },
        ]}
      />
      {modeKind === 'sample' && (
        <TextField
          label="Sample size (% of the rows)"
          hint="1% answers in seconds; streams of the store are sampled too, to find missing rows."
          value={percent}
          onChange={setPercent}
          testId="drift-sample-percent"
        />
      )}
      {modeKind === 'streams' && (
        <TextField label="Stream ids" rows={2} value={streams} onChange={setStreams} placeholder="acct-…, order-…" testId="drift-streams" />
      )}
      {modeKind === 'full' && <p className="muted">Runs as a job you can cancel and resume; follow it here or in the Jobs tray.</p>}
      {verify.error && (
        <Alert tone="danger" title="Not started">
          {messageOf(verify.error)}
        </Alert>
      )}
      <Button
        variant="primary"
        busy={verify.isPending || (job !== undefined && isActive(job))}
        onClick={() => verify.mutate({ connectionId, model, definition: definitionInput(draft), mode: modeInput(modeKind, percent, streams) })}
        data-testid="drift-go"
      >
        Check for drift
      </Button>
      {job && isActive(job) && (
        <p className="muted" data-testid="drift-progress">
          {job.progress?.message ?? 'Starting…'}
        </p>
      )}
      {job?.state === 'failed' && (
        <Alert tone="danger" title="The check failed">
          {job.error ?? 'See the Jobs tray.'}
        </Alert>
      )}
      {job?.state === 'cancelled' && <p className="muted">The check was cancelled.</p>}
      {modelStatus && modelStatus.history.length > 0 && <DriftRateChart connectionId={connectionId} history={modelStatus.history} projector={projector} />}
      {report && <DriftReportView report={report} jobId={job!.id} connectionId={connectionId} rows={rows} onRepairStarted={onRepairStarted} />}
    </Panel>
  );
}

function DriftReportView({
  report,
  jobId,
  connectionId,
  rows,
  onRepairStarted,
}: {
  report: DriftReport;
  jobId: string;
  connectionId: string;
  rows: string;
  onRepairStarted: (rebuildId: string) => void;
}) {
  const { counts } = report;
  return (
    <div className="drift__report" data-testid="drift-report">
      {report.drifted === 0 ? (
        <Alert tone="success" title="No drift found" testId="drift-none">
          {report.rowsChecked.toLocaleString('en-US')} {rows} compared with the log up to position {report.horizon ?? '—'}: every one matches
          {report.lagging > 0 ? `; ${report.lagging.toLocaleString('en-US')} differ only by events the projector has not reached yet (lag, not drift)` : ''}.
        </Alert>
      ) : (
        <Alert tone="danger" title={`${report.drifted.toLocaleString('en-US')} drifted ${rows}`} testId="drift-found">
          Of {report.rowsChecked.toLocaleString('en-US')} compared: {counts.edited} edited, {counts.missing} missing, {counts.orphan} orphan,{' '}
          {counts.staleSkipped} with a skipped event.
          {report.lagging > 0 && ` ${report.lagging.toLocaleString('en-US')} more differ only by events the projector has not reached yet (lag, not drift).`}
          {report.projector && ` Projector ${report.projector.name} at position ${report.projector.position ?? 'none'}.`}
        </Alert>
      )}
      <div className="drift__actions">
        {report.reportFile && <FileOffer path={report.reportFile} label="Download the report (JSON)" testId="drift-report-download" />}
      </div>
      {report.rows.length > 0 && (
        <table className="rebuilds__table drift__rows" data-testid="drift-rows">
          <thead>
            <tr>
              <th>Key</th>
              <th>Drift</th>
              <th>Fields (live → from the log)</th>
              <th>Last event that should have touched it</th>
              <th>Checkpoint passed it</th>
            </tr>
          </thead>
          <tbody>
            {report.rows.map((row) => (
              <DriftRowView key={`${row.kind}:${row.key}`} row={row} />
            ))}
          </tbody>
        </table>
      )}
      {report.truncated && (
        <p className="muted">Only the first {report.rows.length.toLocaleString('en-US')} drifted rows are listed; the report file has them all.</p>
      )}
      {report.streamIds.length > 0 && <RepairDrift connectionId={connectionId} jobId={jobId} streams={report.streamIds.length} onStarted={onRepairStarted} />}
    </div>
  );
}

const show = (value: unknown): string => (value === undefined || value === null ? '—' : typeof value === 'string' ? value : JSON.stringify(value));

function DriftRowView({ row }: { row: DriftedRow }) {
  const kind = DRIFT_KINDS[row.kind];
  return (
    <tr data-testid={`drift-row-${row.key}`} data-kind={row.kind}>
      <td className="mono truncate" title={`${row.key} (stream ${row.streamId})`}>
        {row.key}
      </td>
      <td>
        <Badge tone={kind.tone} title={kind.explain}>
          {kind.label}
        </Badge>
      </td>
      <td>
        {row.fields.length === 0 ? (
          <span className="muted">—</span>
        ) : (
          <ul className="drift__fields">
            {row.fields.slice(0, 6).map((f) => (
              <li key={f.field}>
                <span className="mono">{f.field}</span>: <span className="drift__live">{show(f.live)}</span> →{' '}
                <span className="drift__replayed">{show(f.replayed)}</span>
              </li>
            ))}
            {row.fields.length > 6 && <li className="muted">and {row.fields.length - 6} more</li>}
          </ul>
        )}
      </td>
      <td>
        {row.lastEvent ? (
          <>
            <span className="mono">{row.lastEvent.type}</span> v{row.lastEvent.version}
            {row.lastEvent.position !== null && ` at position ${row.lastEvent.position}`}
            {row.lastEvent.storedAt && <div className="muted">stored {formatTimestamp(row.lastEvent.storedAt)}</div>}
          </>
        ) : (
          <span className="muted">none: no stream gives this row</span>
        )}
      </td>
      <td>{row.checkpointPassed === null ? <span className="muted">unknown</span> : row.checkpointPassed ? 'yes' : 'not yet'}</td>
    </tr>
  );
}

/** The targeted repair: a partial rebuild of the drifted streams, dry run first, then the usual diff and swap. */
function RepairDrift({
  connectionId,
  jobId,
  streams,
  onStarted,
}: {
  connectionId: string;
  jobId: string;
  streams: number;
  onStarted: (rebuildId: string) => void;
}) {
  const [reason, setReason] = useState('');
  const repair = useMutationOp('drift.repair');
  // Starting the repair writes only a shadow: the swap, later, is the destructive step with its own confirmation.
  const plan = repair.data?.dryRun ? repair.data : undefined;
  return (
    <div className="drift__repair" data-testid="drift-repair">
      <h4>Repair exactly what drifted</h4>
      <ReadOnlyNotice connectionId={connectionId} op="drift.repair" />
      <p className="muted">
        Rebuilds the {streams.toLocaleString('en-US')} drifted stream{streams === 1 ? '' : 's'} into a shadow; every other row stays as it is. You read the diff
        and swap it afterwards, as with any rebuild.
      </p>
      <TextField label="Reason (recorded in the audit log)" rows={1} value={reason} onChange={setReason} testId="drift-repair-reason" />
      {plan ? (
        <Button
          variant="primary"
          size="sm"
          busy={repair.isPending}
          disabled={!reason.trim()}
          title={reason.trim() ? undefined : REASON_FIRST}
          onClick={() =>
            repair.mutate({ connectionId, jobId, reason: reason.trim() }, { onSuccess: (result) => !result.dryRun && onStarted(result.rebuildId) })
          }
          data-testid="drift-repair-confirm"
        >
          Start the repair: rebuild {plan.streams.toLocaleString('en-US')} streams of {plan.model}
        </Button>
      ) : (
        <Button
          size="sm"
          busy={repair.isPending}
          disabled={!reason.trim()}
          title={reason.trim() ? undefined : REASON_FIRST}
          onClick={() => repair.mutate({ connectionId, jobId, reason: reason.trim(), dryRun: true })}
          data-testid="drift-repair-plan"
        >
          Repair… (dry run)
        </Button>
      )}
      {plan && (
        <p className="muted" data-testid="drift-repair-next">
          Dry run: {plan.streams.toLocaleString('en-US')} stream{plan.streams === 1 ? '' : 's'} of {plan.model} would be rebuilt into{' '}
          <span className="mono">{plan.shadow}</span>; nothing is written yet. Then read the diff and swap it.
        </p>
      )}
      {repair.error && (
        <Alert tone="danger" title="Not repaired">
          {messageOf(repair.error)}
        </Alert>
      )}
    </div>
  );
}
