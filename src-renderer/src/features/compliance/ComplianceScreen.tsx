import { useState } from 'react';
import type { ErasureCase, PersonalDataMap } from '../../../../src-shared/schemas/compliance';
import { useActiveConnection } from '../../app/active-connection';
import { useQueryState, type Query } from '../../app/routes';
import { confirmationOf } from '../../client/confirmation';
import { messageOf } from '../../client/errors';
import { useMutationOp, useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { CheckboxField, SelectField, TextField } from '../../ui/inputs';
import { Panel } from '../../ui/Panel';
import { CaseView } from './CaseView';
import { chosen, NO_OPERATOR, OperatorFields, OperatorsPanel, type OperatorChoice } from './Operators';
import './compliance.css';
import { formatTimestamp } from '../../ui/time';

/** The compliance workspace: the connection's personal-data map, requests, and the selected case's journey. */
export function ComplianceScreen() {
  const { active } = useActiveConnection();
  const [selected, setSelected] = useQueryState(
    (query: Query) => query.case ?? '',
    (value: string) => ({ case: value }),
    { history: 'push' },
  );
  const map = useOperation('compliance.getMap', { connectionId: active?.id ?? 'local' }, { enabled: active !== undefined });
  const cases = useOperation('compliance.listCases', {});
  if (!active) return null;
  return (
    <div className="compliance" data-testid="compliance-screen">
      <div className="compliance__side">
        <MapPanel connectionId={active.id} map={map.data?.map ?? null} loading={map.isLoading} />
        <OperatorsPanel />
        {map.data?.map && <NewRequest connectionId={active.id} twoPersonRule={map.data.map.requireSecondApprover} onCreated={setSelected} />}
        <Panel title="Requests" testId="compliance-cases">
          {cases.data?.cases.length ? (
            <ul className="compliance__cases">
              {cases.data.cases.map((c) => (
                <li key={c.id}>
                  <button type="button" aria-current={c.id === selected} onClick={() => setSelected(c.id)} data-testid="compliance-case">
                    <strong>{c.ticket}</strong> · {c.state}
                    <div className="compliance__hint">
                      {formatTimestamp(c.createdAt)} · {c.requester}
                    </div>
                  </button>
                </li>
              ))}
            </ul>
          ) : (
            <p className="compliance__hint">No request yet.</p>
          )}
        </Panel>
      </div>
      <div className="compliance__main">
        {selected ? (
          <CaseView key={selected} caseId={selected} />
        ) : (
          <NoRequestOpen hasMap={Boolean(map.data?.map)} hasRequests={Boolean(cases.data?.cases.length)} />
        )}
      </div>
    </div>
  );
}

/** The right side before a request is chosen: what to do next, with the button that starts it. */
function NoRequestOpen({ hasMap, hasRequests }: { hasMap: boolean; hasRequests: boolean }) {
  const startRequest = () => {
    const subject = document.querySelector<HTMLInputElement>('[data-testid="compliance-subject"]');
    subject?.scrollIntoView({ block: 'center' });
    subject?.focus();
  };
  return (
    <div className="empty-state compliance__empty" data-testid="compliance-no-request">
      <p>No request is open.</p>
      {hasMap ? (
        <Button variant="primary" onClick={startRequest} data-testid="compliance-start-request">
          New request
        </Button>
      ) : (
        <p>First propose the personal-data map and confirm it (left): a request is searched with it.</p>
      )}
      {hasRequests && <p>Or choose one under Requests.</p>}
    </div>
  );
}

function MapPanel({ connectionId, map, loading }: { connectionId: string; map: PersonalDataMap | null; loading: boolean }) {
  const propose = useMutationOp('compliance.proposeMap');
  const save = useMutationOp('compliance.saveMap');
  const [twoPersons, setTwoPersons] = useState(false);
  /** Rows of the proposal the user leaves out before confirming (`event:<type>`, `model:<table>`). */
  const [excluded, setExcluded] = useState<ReadonlySet<string>>(new Set());
  const shown = propose.data ?? map;
  const editing = propose.data !== undefined;
  const include = (key: string) =>
    editing ? (
      <input
        type="checkbox"
        aria-label={`Include ${key.replace(/^\w+:/, '')}`}
        data-testid={`compliance-include-${key}`}
        checked={!excluded.has(key)}
        onChange={(event) =>
          setExcluded((previous) => {
            const next = new Set(previous);
            if (event.target.checked) next.delete(key);
            else next.add(key);
            return next;
          })
        }
      />
    ) : null;
  if (loading) return null;
  return (
    <Panel title="Personal-data map" testId="compliance-map">
      {map ? (
        <p className="compliance__hint">
          Confirmed {formatTimestamp(map.confirmedAt!)}
          {map.requireSecondApprover ? '; a second operator approves erasures' : ''}.
        </p>
      ) : (
        <p className="compliance__hint">Where does this connection keep personal data? Propose a map from a sample of events, check it, confirm it.</p>
      )}
      {editing && (
        <p className="compliance__hint">
          Proposed from {shown?.proposedFromEvents ?? 0} sampled events: untick what is not personal data (a product's name), then confirm.
        </p>
      )}
      {shown && (
        <table className="data-table compliance__map" data-testid="compliance-map-table">
          <thead>
            <tr>
              <th>Type / table</th>
              <th>Subject id in</th>
              <th>Personal data</th>
            </tr>
          </thead>
          <tbody>
            {shown.events
              .filter((e) => e.personalPaths.length > 0 || e.subjectPaths.some((p) => p !== 'metadata.userId'))
              .map((e) => (
                <tr key={e.eventType}>
                  <td>
                    {include(`event:${e.eventType}`)} {e.eventType}
                  </td>
                  <td>{e.subjectPaths.join(', ')}</td>
                  <td>{e.personalPaths.map((p) => `${p.path}${p.sealed ? ' (sealed)' : ''}`).join(', ')}</td>
                </tr>
              ))}
            {shown.readModels.map((m) => (
              <tr key={m.table}>
                <td>
                  {include(`model:${m.table}`)} {m.table}
                </td>
                <td>{m.subjectColumn}</td>
                <td>{m.action}</td>
              </tr>
            ))}
            {shown.keyStore && (
              <tr>
                <td>{shown.keyStore.table}</td>
                <td>{shown.keyStore.subjectColumn}</td>
                <td>keys</td>
              </tr>
            )}
          </tbody>
        </table>
      )}
      <div className="compliance__row">
        <Button size="sm" busy={propose.isPending} onClick={() => propose.mutate({ connectionId })} data-testid="compliance-propose">
          {map ? 'Propose again' : 'Propose map'}
        </Button>
        {propose.data && (
          <>
            <CheckboxField label="Two-person rule" checked={twoPersons} onChange={setTwoPersons} testId="compliance-two-persons" />
            <Button
              size="sm"
              variant="primary"
              busy={save.isPending}
              data-testid="compliance-confirm-map"
              onClick={() => {
                const { connectionId: _c, confirmedAt: _t, ...rest } = propose.data!;
                const kept = {
                  ...rest,
                  events: rest.events.filter((e) => !excluded.has(`event:${e.eventType}`)),
                  readModels: rest.readModels.filter((m) => !excluded.has(`model:${m.table}`)),
                };
                save.mutate({ connectionId, map: { ...kept, requireSecondApprover: twoPersons } }, { onSuccess: () => propose.reset() });
              }}
            >
              Confirm map
            </Button>
          </>
        )}
      </div>
      {(propose.error ?? save.error) && <div className="compliance__error">{messageOf(propose.error ?? save.error)}</div>}
      {map?.requireSecondApprover && !editing && <RuleOff connectionId={connectionId} />}
    </Panel>
  );
}

/** Turning the two-person rule off: a dry run says what changes, the confirmation and a reason turn it off. */
function RuleOff({ connectionId }: { connectionId: string }) {
  const dry = useMutationOp('compliance.setTwoPersonRule');
  const run = useMutationOp('compliance.setTwoPersonRule');
  const [reason, setReason] = useState('');
  const [token, setToken] = useState<string | undefined>();
  return (
    <div className="compliance__row">
      <TextField
        label="Why turn the two-person rule off"
        value={reason}
        onChange={(value) => {
          setReason(value);
          setToken(undefined);
        }}
        testId="compliance-rule-reason"
      />
      <Button
        size="sm"
        busy={dry.isPending}
        disabled={!reason.trim()}
        data-testid="compliance-rule-preview"
        onClick={() => dry.mutate({ connectionId, enabled: false, reason, dryRun: true }, { onSuccess: (result) => setToken(confirmationOf(result)) })}
      >
        Preview turning it off
      </Button>
      {token && (
        <Button
          size="sm"
          variant="danger"
          busy={run.isPending}
          data-testid="compliance-rule-off"
          onClick={() => run.mutate({ connectionId, enabled: false, reason, confirmation: token }, { onSuccess: () => setToken(undefined) })}
        >
          Turn the two-person rule off
        </Button>
      )}
      {dry.data && token && <span className="compliance__hint">{dry.data.summary}</span>}
      {(dry.error ?? run.error) && <div className="compliance__error">{messageOf(dry.error ?? run.error)}</div>}
    </div>
  );
}

function NewRequest({ connectionId, twoPersonRule, onCreated }: { connectionId: string; twoPersonRule: boolean; onCreated: (id: string) => void }) {
  const [operator, setOperator] = useState<OperatorChoice>(NO_OPERATOR);
  const create = useMutationOp('compliance.createCase');
  const [by, setBy] = useState<ErasureCase['subject']['by']>('email');
  const [value, setValue] = useState('');
  const [ticket, setTicket] = useState('');
  const [requester, setRequester] = useState('');
  const [reason, setReason] = useState('GDPR art. 17 erasure request');
  return (
    <Panel title="New request" testId="compliance-new">
      <div className="compliance__form">
        <SelectField
          label="Find the subject by"
          value={by}
          onChange={setBy}
          options={[
            { value: 'email', label: 'E-mail' },
            { value: 'id', label: 'Subject id' },
            { value: 'identifier', label: 'Another identifier (account, order)' },
          ]}
          testId="compliance-by"
        />
        <TextField label="Subject" value={value} onChange={setValue} testId="compliance-subject" />
        <TextField label="Ticket" value={ticket} onChange={setTicket} testId="compliance-ticket" />
        <TextField label="Requester" value={requester} onChange={setRequester} testId="compliance-requester" />
        <TextField label="Reason" value={reason} onChange={setReason} testId="compliance-reason" />
        <OperatorFields
          label={twoPersonRule ? 'Opened by (another operator approves)' : 'Opened by (optional)'}
          value={operator}
          onChange={setOperator}
          testId="compliance-opener"
        />
        <Button
          variant="primary"
          busy={create.isPending}
          disabled={twoPersonRule && !chosen(operator)}
          data-testid="compliance-create"
          onClick={() =>
            create.mutate(
              { connectionId, subject: { by, value }, ticket, requester, reason, ...(chosen(operator) ? { operator } : {}) },
              {
                onSuccess: (c) => {
                  // The subject's e-mail and the passphrase do not linger in the form once the request holds them.
                  setValue('');
                  setTicket('');
                  setRequester('');
                  setOperator(NO_OPERATOR);
                  onCreated(c.id);
                },
              },
            )
          }
        >
          Open request
        </Button>
        {create.error && (
          <Alert tone="danger" title="Not opened">
            {messageOf(create.error)}
          </Alert>
        )}
      </div>
    </Panel>
  );
}
