import { useEffect, useState } from 'react';
import { useMutationOp } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { Panel } from '../../ui/Panel';
import { TextField } from '../../ui/inputs';
import { DefinitionPicker, definitionInput, EMPTY_DRAFT, type DefinitionDraft } from './DefinitionPicker';
import { REASON_FIRST } from '../connections/ReadOnlyNotice';

/** Names the built-in definitions rebuild (their table is the reference system's own). */
const BUILTIN_MODELS = ['accounts_view', 'orders_view', 'products_view'];

/** A new read-model table made from a definition: the dry run shows the exact DDL, the confirmation runs that DDL and nothing else. */
export function CreateTargetForm({ connectionId, onClose, onCreated }: { connectionId: string; onClose: () => void; onCreated: (model: string) => void }) {
  const [model, setModel] = useState('');
  const [draft, setDraft] = useState<DefinitionDraft>({ kind: 'folder', ...EMPTY_DRAFT });
  const [reason, setReason] = useState('');
  const create = useMutationOp('rebuilds.createTarget');
  const input = { connectionId, model: model.trim(), definition: definitionInput(draft) };
  // The plan on screen is for the input it was made from: any change discards it.
  const planned = JSON.stringify(input);
  const resetPlan = create.reset;
  useEffect(() => resetPlan(), [planned, resetPlan]);
  const plan = create.data?.dryRun ? create.data : undefined;
  return (
    <Panel
      title="New read-model table"
      testId="rebuild-target-form"
      actions={
        <Button size="sm" variant="ghost" onClick={onClose}>
          Close
        </Button>
      }
    >
      <p className="muted">
        The table is created from the definition: a built-in's reference table, or the columns a user definition declares (name, type, key, NOT NULL, default).
      </p>
      <TextField label="Table" value={model} onChange={setModel} placeholder="orders_summary" testId="rebuild-target-model" />
      <DefinitionPicker draft={draft} onChange={setDraft} hasBuiltin={BUILTIN_MODELS.includes(model.trim())} />
      {!plan ? (
        <Button busy={create.isPending} disabled={!model.trim()} onClick={() => create.mutate({ ...input, dryRun: true })} data-testid="rebuild-target-dry">
          Show the DDL (dry run)
        </Button>
      ) : (
        <>
          <pre className="rebuilds__ddl mono" data-testid="rebuild-target-ddl">
            {plan.ddl}
          </pre>
          <TextField label="Reason (recorded in the audit log)" rows={1} value={reason} onChange={setReason} testId="rebuild-target-reason" />
          <Button
            variant="danger"
            busy={create.isPending}
            disabled={!reason.trim()}
            title={reason.trim() ? undefined : REASON_FIRST}
            onClick={() => create.mutate({ ...input, confirmation: plan.confirmation!, reason: reason.trim() }, { onSuccess: () => onCreated(input.model) })}
            data-testid="rebuild-target-confirm"
          >
            Create {plan.schema}.{plan.model}
          </Button>
        </>
      )}
      {create.error && (
        <Alert tone="danger" title="Not created" testId="rebuild-target-error">
          {create.error.message}
        </Alert>
      )}
    </Panel>
  );
}
