import { useState, type ReactNode } from 'react';
import type { CheckpointKeyInput, CheckpointRow, CheckpointsResetResult, ResetTarget } from '../../../../src-shared/schemas/checkpoints';
import { confirmationOf } from '../../client/confirmation';
import { useMutationOp } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { Dialog } from '../../ui/Dialog';
import { ReadOnlyNotice, REASON_FIRST } from '../connections/ReadOnlyNotice';
import { KeyValueList } from '../../ui/KeyValue';
import { SelectField, TextField } from '../../ui/inputs';
import { formatEvents } from './format';

type TargetKind = ResetTarget['kind'];

const TARGET_KINDS: { value: TargetKind; label: string }[] = [
  { value: 'beginning', label: 'The beginning (reprocess everything)' },
  { value: 'position', label: 'A position' },
  { value: 'time', label: 'A time (the last event before it)' },
  { value: 'head', label: 'The head (skip what is left)' },
  { value: 'projector', label: "Another projector's position" },
];

interface ResetDialogProps {
  connectionId: string;
  kafkaConnectionId: string | undefined;
  row: CheckpointRow;
  /** Checkpoints whose position can be copied (same kind of source). */
  others: CheckpointRow[];
  onClose: () => void;
}

const keyOf = (row: CheckpointRow): CheckpointKeyInput => ({ store: row.store, projector: row.projector, source: row.source });

/** Local date-time input value → ISO instant, or undefined when incomplete. */
function instantOf(local: string): string | undefined {
  const ms = Date.parse(local);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** Reset in two steps: a dry run that shows what is reprocessed or skipped, then the confirmed compare-and-set. */
export function ResetDialog({ connectionId, kafkaConnectionId, row, others, onClose }: ResetDialogProps) {
  const [kind, setKind] = useState<TargetKind>('beginning');
  const [position, setPosition] = useState('');
  const [time, setTime] = useState('');
  const [other, setOther] = useState(others[0] ? JSON.stringify(keyOf(others[0])) : '');
  const [reason, setReason] = useState('');
  const [preview, setPreview] = useState<{ input: ResetInput; result: CheckpointsResetResult; confirmation: string } | undefined>();
  const dryRun = useMutationOp('checkpoints.reset');
  const reset = useMutationOp('checkpoints.reset');
  const applied = reset.data?.outcome === 'applied' ? reset.data : undefined;
  const kafka = row.sourceKind === 'kafka';

  const target = ((): ResetTarget | undefined => {
    if (kind === 'position') return { kind, position: position.trim() };
    if (kind === 'time') {
      const at = instantOf(time);
      return at ? { kind, at } : undefined;
    }
    if (kind === 'projector') return other ? { kind, key: JSON.parse(other) as CheckpointKeyInput } : undefined;
    return { kind };
  })();
  const input: ResetInput | undefined = target && { connectionId, key: keyOf(row), target, ...(kafkaConnectionId ? { kafkaConnectionId } : {}) };

  const runDryRun = () => {
    if (!input) return;
    reset.reset();
    dryRun.mutate({ ...input, dryRun: true }, { onSuccess: (result) => setPreview({ input, result, confirmation: confirmationOf(result) }) });
  };
  const confirm = () => {
    if (!preview || !reason.trim()) return;
    reset.mutate({ ...preview.input, confirmation: preview.confirmation, reason: reason.trim() });
  };
  const changed = () => {
    setPreview(undefined);
    reset.reset();
  };
  const summary = preview?.result.summary;

  return (
    <Dialog
      title={`Reset ${row.projector}${row.source && row.source !== 'events' ? ` · ${row.source}` : ''}`}
      onClose={onClose}
      testId="reset-dialog"
      footer={
        applied ? (
          <Button onClick={onClose} data-testid="reset-close">
            Close
          </Button>
        ) : (
          <>
            <Button onClick={onClose}>Cancel</Button>
            <Button onClick={runDryRun} busy={dryRun.isPending} disabled={!input} data-testid="reset-dry-run">
              Dry run
            </Button>
            <Button
              variant="danger"
              busy={reset.isPending}
              disabled={!preview || preview.result.direction === 'none' || !reason.trim()}
              title={preview && !reason.trim() ? REASON_FIRST : undefined}
              onClick={confirm}
              data-testid="reset-confirm"
            >
              Reset checkpoint
            </Button>
          </>
        )
      }
    >
      <ReadOnlyNotice connectionId={connectionId} op="checkpoints.reset" />
      <p className="dialog__lead">
        Now at{' '}
        <span className="mono" data-testid="reset-now">
          {(applied ? applied.target.position : preview ? preview.result.expected : row.position) ?? 'nothing'}
        </span>
        {row.head !== null && !preview && !applied && (
          <>
            {' '}
            of <span className="mono">{row.head}</span>
          </>
        )}
        . The reset only applies if the checkpoint still holds what the dry run saw.
      </p>
      <SelectField
        label="Move it to"
        value={kind}
        options={TARGET_KINDS.filter((t) => !(kafka && t.value === 'time'))}
        onChange={(next) => {
          setKind(next);
          changed();
        }}
        testId="reset-target"
      />
      {kind === 'position' && (
        <TextField
          label={kafka ? 'Offset' : 'Position'}
          value={position}
          placeholder="e.g. 120000"
          testId="reset-position"
          onChange={(v) => {
            setPosition(v);
            changed();
          }}
        />
      )}
      {kind === 'time' && (
        <div className="field">
          <label className="field__label" htmlFor="reset-time">
            Time (local)
          </label>
          <input
            id="reset-time"
            type="datetime-local"
            step="1"
            className="input"
            value={time}
            data-testid="reset-time"
            onChange={(e) => {
              setTime(e.target.value);
              changed();
            }}
          />
        </div>
      )}
      {kind === 'projector' && (
        <SelectField
          label="Projector"
          value={other}
          options={others.map((o) => ({
            value: JSON.stringify(keyOf(o)),
            label: `${o.projector}${o.source ? ` · ${o.source}` : ''} (at ${o.position ?? 'nothing'})`,
          }))}
          onChange={(v) => {
            setOther(v);
            changed();
          }}
          testId="reset-other"
        />
      )}
      {dryRun.error && (
        <Alert tone="danger" title="Dry run refused">
          {dryRun.error.message}
        </Alert>
      )}
      {preview && (
        <div className="checkpoints__preview" data-testid="reset-preview">
          <Alert tone={preview.result.direction === 'skip' ? 'warning' : 'info'} title="Dry run">
            {preview.result.message}
          </Alert>
          {preview.result.warnings.map((warning) => (
            <Alert key={warning} tone="warning" title="Careful" testId="reset-warning">
              {warning}
            </Alert>
          ))}
          <KeyValueList
            items={[
              ['From', <span className="mono">{preview.result.expected ?? 'nothing'}</span>],
              ['To', <span className="mono">{`${preview.result.target.position} (${preview.result.target.label})`}</span>],
              ...(summary?.first
                ? ([
                    [
                      'First event',
                      <span className="mono">{`#${summary.first.position} ${summary.first.type} · ${summary.first.streamId}${summary.first.timestamp ? ` · ${summary.first.timestamp}` : ''}`}</span>,
                    ],
                  ] as [string, ReactNode][])
                : []),
              ...(summary?.last
                ? ([
                    [
                      'Last event',
                      <span className="mono">{`#${summary.last.position} ${summary.last.type} · ${summary.last.streamId}${summary.last.timestamp ? ` · ${summary.last.timestamp}` : ''}`}</span>,
                    ],
                  ] as [string, ReactNode][])
                : []),
              ...(preview.result.offsets !== null ? ([['Offsets', formatEvents(preview.result.offsets)]] as [string, ReactNode][]) : []),
            ]}
          />
          {summary && summary.byType.length > 0 && (
            <table className="data-table checkpoints__types" data-testid="reset-types">
              <thead>
                <tr>
                  <th>Event type</th>
                  <th className="num">{preview.result.direction === 'skip' ? 'Skipped' : 'Reprocessed'}</th>
                </tr>
              </thead>
              <tbody>
                {summary.byType.slice(0, 12).map((t) => (
                  <tr key={t.type}>
                    <td className="mono">{t.type}</td>
                    <td className="num">{formatEvents(t.count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <TextField
            label="Reason (recorded in the audit log)"
            rows={2}
            value={reason}
            placeholder="e.g. OPS-1234: rebuild orders_view after the fix"
            testId="reset-reason"
            onChange={setReason}
          />
        </div>
      )}
      {applied && (
        <Alert tone="success" title="Checkpoint reset" testId="reset-done">
          {row.projector} now starts from <span className="mono">{applied.target.position}</span> ({applied.target.label}); it was at{' '}
          <span className="mono">{applied.expected ?? 'nothing'}</span>.
        </Alert>
      )}
      {reset.error && (
        <Alert tone="danger" title="Not reset" testId="reset-error">
          {reset.error.message}
        </Alert>
      )}
    </Dialog>
  );
}

type ResetInput = { connectionId: string; key: CheckpointKeyInput; target: ResetTarget; kafkaConnectionId?: string };
