import { useState } from 'react';
import { useMutationOp, useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { Panel } from '../../ui/Panel';
import { CheckboxField, SegmentedField, SelectField, TextField } from '../../ui/inputs';

const WORKER_CHOICES = ['1', '2', '3', '4', '6', '8'] as const;

const EXAMPLE = `definition = {
  name: 'balances',
  handles: { types: ['AccountOpened', 'MoneyDeposited', 'MoneyWithdrawn'] },
  key: (event) => event.streamId,
  apply(row, event) {
    // return the row, null to delete it, or undefined to leave it
    return row;
  },
};`;

/** Definition, target and scope of a new rebuild. */
export function RebuildWizard({ connectionId, model, hasBuiltin, onClose, onStarted }: { connectionId: string; model: string; hasBuiltin: boolean; onClose: () => void; onStarted: (rebuildId: string) => void }) {
  const [kind, setKind] = useState<'builtin' | 'user'>(hasBuiltin ? 'builtin' : 'user');
  const [name, setName] = useState('my-definition');
  const [source, setSource] = useState(EXAMPLE);
  const [reason, setReason] = useState('');
  const [follow, setFollow] = useState(true);
  const [streams, setStreams] = useState('');
  const [scaleOut, setScaleOut] = useState(false);
  const [workers, setWorkers] = useState<(typeof WORKER_CHOICES)[number]>('2');
  const [kafkaId, setKafkaId] = useState('');
  const profiles = useOperation('connections.list', {});
  const kafkaProfiles = (profiles.data ?? []).filter((p) => p.kind === 'kafka');
  const kafkaConnectionId = kafkaId || kafkaProfiles[0]?.id || '';
  const streamIds = [...new Set(streams.split(/[\s,]+/).filter(Boolean))];
  const start = useMutationOp('rebuilds.start', { onSuccess: (result) => onStarted(result.rebuildId) });
  const submit = () =>
    start.mutate({
      connectionId,
      model,
      definition: kind === 'builtin' ? { builtin: true } : { name, source },
      ...(scaleOut ? { scaleOut: { workers: Number(workers), kafkaConnectionId } } : streamIds.length > 0 ? { streamIds } : { follow }),
      ...(reason.trim() ? { reason: reason.trim() } : {}),
    });
  return (
    <Panel title={`Rebuild ${model}`} testId="rebuild-wizard" actions={<Button size="sm" variant="ghost" onClick={onClose}>Close</Button>}>
      <p className="muted">
        The rebuild writes into a shadow table beside <span className="mono">{model}</span>; the live table is not touched until you read the diff and swap.
      </p>
      <SegmentedField
        label="Definition"
        value={kind}
        onChange={setKind}
        testId="rebuild-definition-kind"
        options={[
          ...(hasBuiltin ? [{ value: 'builtin' as const, label: 'Built-in (the reference projector)' }] : []),
          { value: 'user' as const, label: 'User definition' },
        ]}
      />
      {kind === 'user' && (
        <>
          <TextField label="Name" value={name} onChange={setName} testId="rebuild-definition-name" />
          <TextField label="Source (runs in the definitions sandbox)" rows={10} value={source} onChange={setSource} testId="rebuild-definition-source" />
        </>
      )}
      <CheckboxField
        label="Scale out on Kafka"
        description="For stores too big for one process: the feed is published to a partitioned replay topic and applied by worker processes in one consumer group. Rebuilds the whole model; the rows must be keyed by stream id."
        checked={scaleOut}
        onChange={setScaleOut}
        testId="rebuild-scale-out"
      />
      {scaleOut && (
        <>
          <SelectField label="Workers" value={workers} options={WORKER_CHOICES.map((n) => ({ value: n, label: `${n} worker process${n === '1' ? '' : 'es'}` }))} onChange={setWorkers} testId="rebuild-scale-out-workers" />
          <SelectField
            label="Kafka connection"
            hint={kafkaProfiles.length === 0 ? 'Add a Kafka connection first (Connections screen).' : 'The replay topic is created here and deleted when the shadow is complete.'}
            value={kafkaConnectionId}
            options={kafkaProfiles.map((p) => ({ value: p.id, label: p.name }))}
            onChange={setKafkaId}
            testId="rebuild-scale-out-kafka"
          />
        </>
      )}
      {!scaleOut && (
        <>
          <TextField
            label="Scope: stream ids (optional)"
            hint="Empty: every stream the definition handles. With ids: only those streams are replayed and only their rows replaced at the swap; every other row stays as it is."
            rows={2}
            value={streams}
            onChange={setStreams}
            placeholder="acct-…, acct-…"
            testId="rebuild-streams"
          />
          <CheckboxField
            label="Keep following new events until the swap"
            description="After the load the job keeps folding new events (gap-safe), so the swap has little left to fold while it holds the tables."
            checked={follow}
            onChange={setFollow}
            testId="rebuild-follow"
          />
        </>
      )}
      <TextField label="Reason (optional)" rows={2} value={reason} onChange={setReason} placeholder="e.g. OPS-1234: balances wrong since the 3.2 deploy" testId="rebuild-reason" />
      {start.error && <Alert tone="danger" title="Not started">{start.error.message}</Alert>}
      <Button variant="primary" busy={start.isPending} onClick={submit} data-testid="rebuild-go">
        Start the rebuild
      </Button>
    </Panel>
  );
}
