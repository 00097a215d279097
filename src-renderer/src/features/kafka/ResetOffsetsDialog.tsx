import { useMemo, useState } from 'react';
import type { InputOf, ResultOf } from '../../../../src-shared/operations';
import type { KafkaGroup, ResetScope, ResetStrategy } from '../../../../src-shared/schemas/kafka';
import { confirmationOf } from '../../client/confirmation';
import { messageOf } from '../../client/errors';
import { useMutationOp, useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { Dialog } from '../../ui/Dialog';
import { ReadOnlyNotice, REASON_FIRST } from '../connections/ReadOnlyNotice';
import { SelectField, TextField } from '../../ui/inputs';
import { formatCount } from './kafka-view';

type StrategyKind = ResetStrategy['kind'];
type ScopeKind = ResetScope['kind'];

const STRATEGIES: { value: StrategyKind; label: string }[] = [
  { value: 'earliest', label: 'Earliest (reprocess everything kept)' },
  { value: 'latest', label: 'Latest (skip everything waiting)' },
  { value: 'timestamp', label: 'A point in time' },
  { value: 'exact', label: 'An exact offset' },
  { value: 'shift', label: 'Shift by ±N' },
  { value: 'copy', label: "Another group's offsets" },
];

interface Draft {
  strategy: StrategyKind;
  at: string;
  offset: string;
  shift: string;
  fromGroupId: string;
  scope: ScopeKind;
  topic: string;
  partitions: string;
  /** A PostgreSQL connection whose projection_checkpoints the projector reads ('' for none), and the projection name. */
  checkpointConnectionId: string;
  projection: string;
}

/** Builds the operation's strategy and scope from the form, or says what is missing. */
type Request = { strategy: ResetStrategy; scope: ResetScope; checkpoints?: { connectionId: string; projection: string } };

function requestOf(draft: Draft): Request | string {
  const base = scopedRequestOf(draft);
  if (typeof base === 'string' || !draft.checkpointConnectionId) return base;
  if (!draft.projection.trim()) return 'Enter the projection whose checkpoints move too.';
  return { ...base, checkpoints: { connectionId: draft.checkpointConnectionId, projection: draft.projection.trim() } };
}

function scopedRequestOf(draft: Draft): Request | string {
  let strategy: ResetStrategy;
  switch (draft.strategy) {
    case 'timestamp': {
      const ms = Date.parse(draft.at);
      if (Number.isNaN(ms)) return 'Enter the time to reset to.';
      strategy = { kind: 'timestamp', at: new Date(ms).toISOString() };
      break;
    }
    case 'exact':
      if (!/^\d+$/.test(draft.offset.trim())) return 'Enter the offset as a whole number.';
      strategy = { kind: 'exact', offset: draft.offset.trim() };
      break;
    case 'shift': {
      const by = Number(draft.shift);
      if (!Number.isInteger(by) || by === 0) return 'Enter a whole number other than 0 to shift by (negative goes back).';
      strategy = { kind: 'shift', by };
      break;
    }
    case 'copy':
      if (!draft.fromGroupId.trim()) return 'Enter the group to copy offsets from.';
      strategy = { kind: 'copy', fromGroupId: draft.fromGroupId.trim() };
      break;
    default:
      strategy = { kind: draft.strategy };
  }
  if (draft.scope === 'all') return { strategy, scope: { kind: 'all' } };
  if (!draft.topic) return 'Choose the topic.';
  if (draft.scope === 'topic') return { strategy, scope: { kind: 'topic', topic: draft.topic } };
  const partitions = draft.partitions
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
  if (!partitions.length || partitions.some((n) => !Number.isInteger(n) || n < 0)) return 'List the partitions, e.g. 0, 2, 3.';
  return { strategy, scope: { kind: 'partitions', topic: draft.topic, partitions } };
}

/** Offset reset: the form, a dry run listing each partition's move, then the confirmed run. */
export function ResetOffsetsDialog({ connectionId, group, onClose }: { connectionId: string; group: KafkaGroup; onClose: () => void }) {
  const topics = useMemo(() => [...new Set(group.partitions.map((p) => p.topic))], [group.partitions]);
  const [draft, setDraftState] = useState<Draft>({
    strategy: 'earliest',
    at: '',
    offset: '',
    shift: '-100',
    fromGroupId: '',
    scope: 'all',
    topic: topics[0] ?? '',
    partitions: '',
    checkpointConnectionId: '',
    projection: '',
  });
  const profiles = useOperation('connections.list', {});
  const stores = (profiles.data ?? []).filter((p) => p.kind === 'postgres');
  const [reason, setReason] = useState('');
  const [plan, setPlan] = useState<{ result: ResultOf<'kafka.resetOffsets'>; input: InputOf<'kafka.resetOffsets'> } | undefined>();
  const dryRun = useMutationOp('kafka.resetOffsets');
  const reset = useMutationOp('kafka.resetOffsets');
  const request = requestOf(draft);
  const setDraft = (change: Partial<Draft>) => {
    setDraftState({ ...draft, ...change });
    setPlan(undefined); // a plan belongs to the exact request it was made for
    reset.reset();
  };

  const runDry = () => {
    if (typeof request === 'string') return;
    const input = { connectionId, groupId: group.groupId, ...request };
    dryRun.mutate({ ...input, dryRun: true }, { onSuccess: (result) => setPlan({ result, input }) });
  };
  const confirm = () => {
    if (!plan) return;
    if (!reason.trim()) return;
    reset.mutate({ ...plan.input, confirmation: confirmationOf(plan.result), reason: reason.trim() });
  };
  const blocked = (plan?.result.activeMembers.length ?? 0) > 0;

  return (
    <Dialog
      title={`Reset offsets of “${group.groupId}”`}
      onClose={onClose}
      testId="kafka-reset-dialog"
      footer={
        reset.data?.applied ? (
          <Button onClick={onClose} data-testid="kafka-reset-close">
            Close
          </Button>
        ) : (
          <>
            <Button onClick={onClose}>Cancel</Button>
            <Button onClick={runDry} busy={dryRun.isPending} disabled={typeof request === 'string'} data-testid="kafka-reset-dry-run">
              Dry run
            </Button>
            <Button
              variant="danger"
              onClick={confirm}
              busy={reset.isPending}
              disabled={!plan || blocked || !reason.trim()}
              title={plan && !reason.trim() ? REASON_FIRST : undefined}
              data-testid="kafka-reset-confirm"
            >
              Reset {plan ? `${plan.result.plan.length} partition${plan.result.plan.length === 1 ? '' : 's'}` : 'offsets'}
            </Button>
          </>
        )
      }
    >
      <ReadOnlyNotice connectionId={connectionId} op="kafka.resetOffsets" />
      <div className="kafka-reset__form">
        <SelectField
          label="Move to"
          value={draft.strategy}
          options={STRATEGIES}
          onChange={(strategy) => setDraft({ strategy })}
          testId="kafka-reset-strategy"
        />
        {draft.strategy === 'timestamp' && (
          <TextField
            label="Time (local)"
            type="text"
            placeholder="2026-01-31 14:00"
            value={draft.at}
            onChange={(at) => setDraft({ at })}
            testId="kafka-reset-at"
          />
        )}
        {draft.strategy === 'exact' && (
          <TextField label="Offset" value={draft.offset} onChange={(offset) => setDraft({ offset })} testId="kafka-reset-offset" />
        )}
        {draft.strategy === 'shift' && (
          <TextField
            label="Shift by"
            hint="negative reprocesses, positive skips"
            value={draft.shift}
            onChange={(shift) => setDraft({ shift })}
            testId="kafka-reset-shift"
          />
        )}
        {draft.strategy === 'copy' && (
          <TextField label="From group" value={draft.fromGroupId} onChange={(fromGroupId) => setDraft({ fromGroupId })} testId="kafka-reset-from-group" />
        )}
        <SelectField
          label="Partitions"
          value={draft.scope}
          options={[
            { value: 'all', label: 'All the group has offsets for' },
            { value: 'topic', label: 'One topic' },
            { value: 'partitions', label: 'Chosen partitions of a topic' },
          ]}
          onChange={(scope) => setDraft({ scope })}
          testId="kafka-reset-scope"
        />
        {draft.scope !== 'all' && (
          <SelectField
            label="Topic"
            value={draft.topic}
            options={topics.map((t) => ({ value: t, label: t }))}
            onChange={(topic) => setDraft({ topic })}
            testId="kafka-reset-topic"
          />
        )}
        {draft.scope === 'partitions' && (
          <TextField
            label="Partition numbers"
            placeholder="0, 2"
            value={draft.partitions}
            onChange={(partitions) => setDraft({ partitions })}
            testId="kafka-reset-partitions"
          />
        )}
        <SelectField
          label="Projector checkpoints"
          hint="A projector that keeps kafka:<topic>:<partition> in projection_checkpoints skips messages below them"
          value={draft.checkpointConnectionId}
          options={[
            { value: '', label: 'None: the projector reads only Kafka offsets' },
            ...stores.map((p) => ({ value: p.id, label: `Move them too, in ${p.name}` })),
          ]}
          onChange={(checkpointConnectionId) => setDraft({ checkpointConnectionId })}
          testId="kafka-reset-checkpoints"
        />
        {draft.checkpointConnectionId && (
          <TextField label="Projection name" value={draft.projection} onChange={(projection) => setDraft({ projection })} testId="kafka-reset-projection" />
        )}
      </div>
      {typeof request === 'string' && <p className="muted">{request}</p>}
      {dryRun.error && (
        <Alert tone="danger" title="Dry run failed" testId="kafka-reset-error">
          {messageOf(dryRun.error)}
        </Alert>
      )}
      {plan && (
        <>
          <p className="dialog__lead" data-testid="kafka-reset-summary">
            Dry run: {formatCount(plan.result.reprocessed)} messages would be processed again and {formatCount(plan.result.skipped)} skipped.
          </p>
          <table className="kafka-table" data-testid="kafka-reset-plan">
            <thead>
              <tr>
                <th>Partition</th>
                <th className="num">Now</th>
                <th className="num">After</th>
                <th className="num">Reprocessed</th>
                <th className="num">Skipped</th>
                {plan.input.checkpoints && <th className="num">Checkpoint now</th>}
              </tr>
            </thead>
            <tbody>
              {plan.result.plan.map((row) => (
                <tr key={`${row.topic}:${row.partition}`} data-testid="kafka-reset-row">
                  <td className="mono">
                    {row.topic}[{row.partition}]
                  </td>
                  <td className="num">{row.current ?? 'none'}</td>
                  <td className="num">{row.next}</td>
                  <td className="num">{formatCount(row.reprocessed)}</td>
                  <td className="num">{formatCount(row.skipped)}</td>
                  {plan.input.checkpoints && <td className="num">{row.checkpoint ?? 'none'}</td>}
                </tr>
              ))}
            </tbody>
          </table>
          {plan.result.note && (
            <Alert tone="info" title="Before you confirm" testId="kafka-reset-note">
              {plan.result.note}
            </Alert>
          )}
          {blocked && (
            <Alert tone="warning" title="The group is active" testId="kafka-reset-blocked">
              Kafka only moves the offsets of a group without members. Stop these first: {plan.result.activeMembers.join('; ')}.
            </Alert>
          )}
          {!reset.data?.applied && (
            <TextField
              label="Reason (recorded in the audit log)"
              rows={2}
              value={reason}
              placeholder="e.g. OPS-1234: reprocess after the projector fix"
              onChange={setReason}
              testId="kafka-reset-reason"
            />
          )}
        </>
      )}
      {reset.error && (
        <Alert tone="danger" title="Offsets not moved" testId="kafka-reset-refused">
          {messageOf(reset.error)}
        </Alert>
      )}
      {reset.data?.applied && (
        <Alert tone="success" title="Offsets moved" testId="kafka-reset-done">
          {reset.data.plan.length} partition{reset.data.plan.length === 1 ? '' : 's'} now start where the dry run showed. The consumers read from there when
          they next join.
        </Alert>
      )}
    </Dialog>
  );
}
