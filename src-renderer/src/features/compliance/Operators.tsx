import { useState } from 'react';
import type { OperatorView } from '../../../../src-shared/schemas/operators';
import { messageOf } from '../../client/errors';
import { useMutationOp, useOperation } from '../../client/operation-hooks';
import { Button } from '../../ui/Button';
import { SelectField, TextField } from '../../ui/inputs';
import { Panel } from '../../ui/Panel';

/** An operator picked from the registered ones plus the passphrase they type; empty until both are given. */
export interface OperatorChoice {
  operatorId: string;
  passphrase: string;
}

export function useOperators(): OperatorView[] {
  return useOperation('operators.list', {}).data?.operators ?? [];
}

/** Picks a registered operator and takes their passphrase (never kept beyond the form). */
export function OperatorFields({
  label,
  value,
  onChange,
  testId,
}: {
  label: string;
  value: OperatorChoice;
  onChange: (value: OperatorChoice) => void;
  testId: string;
}) {
  const operators = useOperators();
  return (
    <>
      <SelectField
        label={label}
        value={value.operatorId}
        onChange={(operatorId) => onChange({ ...value, operatorId })}
        options={[
          { value: '', label: operators.length ? 'Choose an operator' : 'No operator registered' },
          ...operators.map((o) => ({ value: o.id, label: `${o.name} (${o.fingerprint.slice(0, 8)})` })),
        ]}
        testId={`${testId}-operator`}
      />
      <TextField
        label="Passphrase"
        type="password"
        autoComplete="current-password"
        value={value.passphrase}
        onChange={(passphrase) => onChange({ ...value, passphrase })}
        testId={`${testId}-passphrase`}
      />
    </>
  );
}

export const NO_OPERATOR: OperatorChoice = { operatorId: '', passphrase: '' };
export const chosen = (choice: OperatorChoice) => choice.operatorId !== '' && choice.passphrase !== '';

/** The registered operators and the enrolment of a new one (sponsored by an existing one once any exists). */
export function OperatorsPanel() {
  const operators = useOperators();
  const enroll = useMutationOp('operators.enroll');
  const [name, setName] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [sponsor, setSponsor] = useState<OperatorChoice>(NO_OPERATOR);
  const needsSponsor = operators.length > 0;
  return (
    <Panel title="Operators" testId="compliance-operators">
      {operators.length ? (
        <ul className="compliance__cases" data-testid="compliance-operator-list">
          {operators.map((o) => (
            <li key={o.id}>
              <strong>{o.name}</strong> · <code>{o.id}</code>
              <div className="compliance__hint">
                key <code>{o.fingerprint.slice(0, 16)}…</code>
                {o.sponsoredBy ? ` · sponsored by ${o.sponsoredBy}` : ''}
              </div>
            </li>
          ))}
        </ul>
      ) : (
        <p className="compliance__hint">Register the operators who open and approve erasures; each signs with a key only their passphrase opens.</p>
      )}
      <div className="compliance__form">
        <TextField label="New operator's name" value={name} onChange={setName} testId="compliance-enroll-name" />
        <TextField
          label="Their passphrase (10 characters or more)"
          type="password"
          autoComplete="new-password"
          value={passphrase}
          onChange={setPassphrase}
          testId="compliance-enroll-passphrase"
        />
        {needsSponsor && <OperatorFields label="Sponsored by" value={sponsor} onChange={setSponsor} testId="compliance-enroll-sponsor" />}
        <Button
          size="sm"
          busy={enroll.isPending}
          disabled={!name.trim() || !passphrase || (needsSponsor && !chosen(sponsor))}
          data-testid="compliance-enroll"
          onClick={() =>
            enroll.mutate(
              { name, passphrase, ...(needsSponsor ? { sponsor } : {}) },
              {
                onSuccess: () => {
                  setName('');
                  setPassphrase('');
                  setSponsor(NO_OPERATOR);
                },
              },
            )
          }
        >
          Enrol operator
        </Button>
        {enroll.error && <div className="compliance__error">{messageOf(enroll.error)}</div>}
      </div>
    </Panel>
  );
}
