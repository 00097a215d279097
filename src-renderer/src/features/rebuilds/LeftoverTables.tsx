import { useState } from 'react';
import type { z } from 'zod';
import type { rebuildRecordView } from '../../../../src-shared/schemas/rebuild';
import { useMutationOp } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { Panel } from '../../ui/Panel';
import { TextField } from '../../ui/inputs';
import { ReadOnlyNotice, REASON_FIRST } from '../connections/ReadOnlyNotice';

type Rebuild = z.infer<typeof rebuildRecordView>;

/**
 * The tables (collections) roll backs left behind: the rebuilt rows, set aside under `<model>__after_…`.
 * They are no read model, yet they hold what the model held (personal data too, which
 * Compliance finds there): listed so they can be dropped.
 */
export function LeftoverTables({ connectionId, rebuilds, kind = 'table' }: { connectionId: string; rebuilds: Rebuild[]; kind?: 'table' | 'collection' }) {
  const left = rebuilds.filter((r) => r.leftover);
  if (!left.length) return null;
  const words = WORDS[kind];
  return (
    <Panel title={`${words.Containers} left by roll backs`} testId="rebuild-leftovers">
      <Alert tone="warning" title="They may hold personal data" testId="rebuild-leftovers-warning">
        A roll back keeps the rebuilt {words.items} in a {words.container} of their own. It is no read model, but it holds what the model held, personal data
        included: Compliance finds it there, and an erasure must reach it. Drop it once you no longer need to compare.
      </Alert>
      <ReadOnlyNotice connectionId={connectionId} op="rebuilds.drop" />
      <ul className="rebuilds__leftovers">
        {left.map((r) => (
          <LeftoverRow key={r.id} connectionId={connectionId} rebuild={r} items={words.items} />
        ))}
      </ul>
    </Panel>
  );
}

const WORDS = {
  table: { Containers: 'Tables', container: 'table', items: 'rows' },
  collection: { Containers: 'Collections', container: 'collection', items: 'documents' },
} as const;

function LeftoverRow({ connectionId, rebuild, items }: { connectionId: string; rebuild: Rebuild; items: string }) {
  const [reason, setReason] = useState('');
  const drop = useMutationOp('rebuilds.drop');
  const plan = drop.data?.dryRun ? drop.data : undefined;
  const leftover = rebuild.leftover!;
  const tables = leftover.tables ?? [leftover];
  return (
    <li data-testid={`rebuild-leftover-${leftover.table}`}>
      {tables.map((t, i) => (
        <span key={t.table} className="rebuilds__leftover-table" data-index={i}>
          <span className="mono">{t.table}</span> · {t.rows.toLocaleString('en-US')} {items}
          {/__before_/.test(t.table) ? `, a copy of the old ${items} (live again)` : `, the ${items} rebuild ${rebuild.id} of ${rebuild.model} built`}
        </span>
      ))}
      <TextField label="Reason (recorded in the audit log)" rows={1} value={reason} onChange={setReason} testId="rebuild-leftover-reason" />
      {plan?.confirmation ? (
        <Button
          variant="danger"
          size="sm"
          busy={drop.isPending}
          disabled={!reason.trim()}
          title={reason.trim() ? undefined : REASON_FIRST}
          onClick={() => drop.mutate({ connectionId, rebuildId: rebuild.id, what: 'shadow', confirmation: plan.confirmation!, reason: reason.trim() })}
          data-testid="rebuild-leftover-confirm"
        >
          Confirm: drop {plan.table} for good
        </Button>
      ) : (
        <Button
          size="sm"
          busy={drop.isPending}
          onClick={() => drop.mutate({ connectionId, rebuildId: rebuild.id, what: 'shadow', dryRun: true })}
          data-testid="rebuild-leftover-drop"
        >
          Drop… (dry run)
        </Button>
      )}
      {drop.error && (
        <Alert tone="danger" title="Not dropped">
          {drop.error.message}
        </Alert>
      )}
    </li>
  );
}
