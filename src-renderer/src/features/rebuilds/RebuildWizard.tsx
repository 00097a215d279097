import { useEffect, useState } from 'react';
import type { InputOf } from '../../../../src-shared/operations';
import { useMutationOp, useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { Panel } from '../../ui/Panel';
import { CheckboxField, SegmentedField, SelectField, TextField } from '../../ui/inputs';
import { DefinitionPicker, definitionInput, EMPTY_DRAFT, type DefinitionDraft } from './DefinitionPicker';

const WORKER_CHOICES = ['1', '2', '3', '4', '6', '8'] as const;

type ScopeKind = 'all' | 'streams' | 'category' | 'prefix' | 'types';

/** The scope part of the start input: every stream, chosen ids, or a scope the main process resolves to streams. */
function scopeInput(
  kind: ScopeKind,
  fields: { streams: string; category: string; prefix: string; types: string; from: string; to: string },
): Pick<InputOf<'rebuilds.start'>, 'streamIds' | 'scope'> {
  const list = (text: string) => [...new Set(text.split(/[\s,]+/).filter(Boolean))];
  const instant = (local: string) => (local && !Number.isNaN(new Date(local).getTime()) ? new Date(local).toISOString() : local);
  switch (kind) {
    case 'all':
      return {};
    case 'streams':
      return { streamIds: list(fields.streams) };
    case 'category':
      return { scope: { kind: 'category', category: fields.category } };
    case 'prefix':
      return { scope: { kind: 'prefix', prefix: fields.prefix } };
    case 'types':
      return { scope: { kind: 'types', eventTypes: list(fields.types), from: instant(fields.from), to: instant(fields.to) } };
  }
}

/** Definition, target and scope of a new rebuild. */
export function RebuildWizard({
  connectionId,
  model,
  kind: target,
  hasBuiltin,
  onClose,
  onStarted,
}: {
  connectionId: string;
  model: string;
  kind: 'table' | 'collection';
  hasBuiltin: boolean;
  onClose: () => void;
  onStarted: (rebuildId: string) => void;
}) {
  const [draft, setDraft] = useState<DefinitionDraft>({ kind: hasBuiltin ? 'builtin' : 'folder', ...EMPTY_DRAFT });
  const [reason, setReason] = useState('');
  const [follow, setFollow] = useState(true);
  const [scopeKind, setScopeKind] = useState<ScopeKind>('all');
  const [streams, setStreams] = useState('');
  const [category, setCategory] = useState('');
  const [prefix, setPrefix] = useState('');
  const [types, setTypes] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [scaleOut, setScaleOut] = useState(false);
  const [workers, setWorkers] = useState<(typeof WORKER_CHOICES)[number]>('2');
  const [kafkaId, setKafkaId] = useState('');
  const profiles = useOperation('connections.list', {});
  const kafkaProfiles = (profiles.data ?? []).filter((p) => p.kind === 'kafka');
  const kafkaConnectionId = kafkaId || kafkaProfiles[0]?.id || '';
  const collection = target === 'collection';
  const scalingOut = scaleOut && scopeKind === 'all' && !collection;
  const start = useMutationOp('rebuilds.start');
  const input = (): InputOf<'rebuilds.start'> => ({
    connectionId,
    model,
    definition: definitionInput(draft),
    ...(scalingOut
      ? { scaleOut: { workers: Number(workers), kafkaConnectionId } }
      : scopeKind === 'all'
        ? collection
          ? {}
          : { follow }
        : scopeInput(scopeKind, { streams, category, prefix, types, from, to })),
    ...(reason.trim() ? { reason: reason.trim() } : {}),
  });
  // A scope other than chosen ids is checked first (a dry run): the wizard says how many streams it names.
  const check = useMutationOp('rebuilds.start');
  // Any change of what was checked discards the count on screen: it was for the old input.
  const checked = JSON.stringify([draft, scopeKind, streams, category, prefix, types, from, to]);
  const resetCheck = check.reset;
  useEffect(() => resetCheck(), [checked, resetCheck]);
  const submit = () => start.mutate(input(), { onSuccess: (result) => onStarted(result.rebuildId) });
  return (
    <Panel
      title={`Rebuild ${model}`}
      testId="rebuild-wizard"
      actions={
        <Button size="sm" variant="ghost" onClick={onClose}>
          Close
        </Button>
      }
    >
      <p className="muted">
        The rebuild writes into a shadow {collection ? 'collection' : 'table'} beside <span className="mono">{model}</span>; the live{' '}
        {collection ? 'collection' : 'table'} is not touched until you read the diff and swap.
      </p>
      <DefinitionPicker draft={draft} onChange={setDraft} hasBuiltin={hasBuiltin} />
      <SegmentedField
        label="Scope"
        value={scopeKind}
        onChange={setScopeKind}
        testId="rebuild-scope-kind"
        options={[
          { value: 'all' as const, label: 'Every stream' },
          { value: 'streams' as const, label: 'Stream ids' },
          { value: 'category' as const, label: 'A category' },
          { value: 'prefix' as const, label: 'An id prefix' },
          { value: 'types' as const, label: 'Types in a time range' },
        ]}
      />
      {scopeKind !== 'all' && (
        <p className="muted">
          Only the streams of the scope are replayed, and only their {collection ? 'documents' : 'rows'} replaced at the swap; every other one stays as it is.
        </p>
      )}
      {scopeKind === 'streams' && (
        <TextField label="Stream ids" rows={2} value={streams} onChange={setStreams} placeholder="acct-…, acct-…" testId="rebuild-streams" />
      )}
      {scopeKind === 'category' && (
        <TextField
          label="Category"
          hint="The store's stream type (or the id before its separator, e.g. account in account-42)."
          value={category}
          onChange={setCategory}
          placeholder="Account"
          testId="rebuild-scope-category"
        />
      )}
      {scopeKind === 'prefix' && (
        <TextField label="Stream ids starting with" value={prefix} onChange={setPrefix} placeholder="acct-2026" testId="rebuild-scope-prefix" />
      )}
      {scopeKind === 'types' && (
        <>
          <TextField
            label="Event types"
            hint="The streams touched by events of these types in the range."
            value={types}
            onChange={setTypes}
            placeholder="MoneyWithdrawn, AccountFrozen"
            testId="rebuild-scope-types"
          />
          <TextField label="From (your local time, or ISO-8601)" value={from} onChange={setFrom} placeholder="2026-11-30T08:00" testId="rebuild-scope-from" />
          <TextField label="To (excluded)" value={to} onChange={setTo} placeholder="2026-11-30T12:00" testId="rebuild-scope-to" />
        </>
      )}
      {(scopeKind === 'category' || scopeKind === 'prefix' || scopeKind === 'types') && (
        <div className="rebuilds__scope-check">
          <Button size="sm" busy={check.isPending} onClick={() => check.mutate({ ...input(), dryRun: true })} data-testid="rebuild-scope-check">
            Count the streams
          </Button>
          {check.data?.scope && (
            <span data-testid="rebuild-scope-count">
              {check.data.scope.streams.toLocaleString('en-US')} stream{check.data.scope.streams === 1 ? '' : 's'}: {check.data.scope.description}
            </span>
          )}
          {check.error && (
            <Alert tone="danger" title="Scope refused">
              {check.error.message}
            </Alert>
          )}
        </div>
      )}
      {scopeKind === 'all' && !collection && (
        <CheckboxField
          label="Scale out on Kafka"
          description="For stores too big for one process: the feed is published to a partitioned replay topic and applied by worker processes in one consumer group. Rebuilds the whole model; the rows must be keyed by stream id."
          checked={scaleOut}
          onChange={setScaleOut}
          testId="rebuild-scale-out"
        />
      )}
      {scalingOut && (
        <>
          <SelectField
            label="Workers"
            value={workers}
            options={WORKER_CHOICES.map((n) => ({ value: n, label: `${n} worker process${n === '1' ? '' : 'es'}` }))}
            onChange={setWorkers}
            testId="rebuild-scale-out-workers"
          />
          <SelectField
            label="Kafka connection"
            hint={
              kafkaProfiles.length === 0
                ? 'Add a Kafka connection first (Connections screen).'
                : 'The replay topic is created here and deleted when the shadow is complete.'
            }
            value={kafkaConnectionId}
            options={kafkaProfiles.map((p) => ({ value: p.id, label: p.name }))}
            onChange={setKafkaId}
            testId="rebuild-scale-out-kafka"
          />
        </>
      )}
      {scopeKind === 'all' && !collection && !scalingOut && (
        <CheckboxField
          label="Keep following new events until the swap"
          description="After the load the job keeps folding new events (gap-safe), so the swap has little left to fold while it holds the tables."
          checked={follow}
          onChange={setFollow}
          testId="rebuild-follow"
        />
      )}
      <TextField
        label="Reason (optional)"
        rows={2}
        value={reason}
        onChange={setReason}
        placeholder="e.g. OPS-1234: balances wrong since the 3.2 deploy"
        testId="rebuild-reason"
      />
      {start.error && (
        <Alert tone="danger" title="Not started">
          {start.error.message}
        </Alert>
      )}
      <Button variant="primary" busy={start.isPending} onClick={submit} data-testid="rebuild-go">
        Start the rebuild
      </Button>
    </Panel>
  );
}
