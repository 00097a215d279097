import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { InputOf } from '../../../../src-shared/operations';
import type { ChronoError } from '../../../../src-shared/errors';
import type { ConnectionKind, ConnectionSettings, ConnectionTestResult, ConnectionView } from '../../../../src-shared/schemas/connections';
import type { FieldProblem } from '../../../../src-shared/validate';
import { problemsOf } from '../../client/errors';
import { useMutationOp } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { CheckboxField, SegmentedField, TextField } from '../../ui/inputs';
import { KIND_LABELS, KIND_SHORT_LABELS } from './describe';
import { draftOf, newDraft, sameSettings, secretLabelOf, settingsOf, storedSecretProblems, type ConnectionDraft } from './draft';
import { KAFKA_FIELDS, KafkaFields } from './KafkaFields';
import { MONGO_FIELDS, MongoFields } from './MongoFields';
import { POSTGRES_FIELDS, PostgresFields } from './PostgresFields';
import { lookupProblems } from './problems';
import { SecretField } from './SecretField';
import { TestResultView } from './TestResultView';

const KIND_OPTIONS = (Object.keys(KIND_LABELS) as ConnectionKind[]).map((kind) => ({ value: kind, label: KIND_SHORT_LABELS[kind], title: KIND_LABELS[kind] }));
const FIELDS_OF_KIND: Record<ConnectionKind, readonly string[]> = { postgres: POSTGRES_FIELDS, mongo: MONGO_FIELDS, kafka: KAFKA_FIELDS };

interface ConnectionFormProps {
  /** The profile being edited; absent when adding. */
  saved?: ConnectionView;
  onSaved: (profile: ConnectionView) => void;
  onCancel: () => void;
}

/** Add or edit a profile: test the draft for real before saving it. */
export function ConnectionForm({ saved, onSaved, onCancel }: ConnectionFormProps) {
  const [draft, setDraft] = useState<ConnectionDraft>(() => (saved ? draftOf(saved) : newDraft()));
  const [localProblems, setLocalProblems] = useState<FieldProblem[]>([]);
  const [lastAction, setLastAction] = useState<'test' | 'save'>();
  const [testNote, setTestNote] = useState<string>();
  const test = useMutationOp('connections.test');
  const add = useMutationOp('connections.add', { onSuccess: onSaved });
  const update = useMutationOp('connections.update', { onSuccess: onSaved });
  const save = saved ? update : add;

  const hostError = lastAction === 'test' ? test.error : lastAction === 'save' ? save.error : null;
  const problems = lookupProblems([...localProblems, ...problemsOf(hostError)]);
  const visibleFields = ['name', 'secret', 'readOnly', 'mayDecryptPersonalData', 'settings.kind', ...FIELDS_OF_KIND[draft.kind]];
  const secretLabel = secretLabelOf(draft);

  const change = (next: ConnectionDraft) => {
    setDraft(next);
    test.reset(); // a result about other settings would mislead
    setTestNote(undefined);
  };
  const changeSection = <K extends ConnectionKind>(kind: K, patch: Partial<ConnectionDraft[K]>) => change({ ...draft, [kind]: { ...draft[kind], ...patch } });

  const prepare = (action: 'test' | 'save'): ConnectionSettings | undefined => {
    setLastAction(action);
    const { settings, problems: malformed } = settingsOf(draft, saved?.settings);
    const found = [...malformed, ...storedSecretProblems(draft, settings, saved)];
    setLocalProblems(found);
    return found.length ? undefined : settings;
  };

  const runTest = () => {
    const settings = prepare('test');
    if (!settings) return;
    const { input, note } = testInputOf(draft, settings, saved);
    setTestNote(note);
    test.mutate(input);
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const settings = prepare('save');
    if (!settings) return;
    const secret = secretLabel && draft.secret && !draft.clearSecret ? { secret: draft.secret } : {};
    if (saved) {
      update.mutate({
        id: saved.id,
        name: draft.name,
        settings,
        readOnly: draft.readOnly,
        mayDecryptPersonalData: draft.mayDecryptPersonalData,
        ...secret,
        ...(draft.clearSecret ? { clearSecret: true } : {}),
      });
    } else {
      add.mutate({ name: draft.name, settings, readOnly: draft.readOnly, mayDecryptPersonalData: draft.mayDecryptPersonalData, ...secret });
    }
  };

  return (
    <form className="conn-form" onSubmit={submit} data-testid="connection-form" noValidate>
      <div className="conn-form__body">
        <FormSection title="Profile">
          <div className="form-grid">
            <TextField
              className="span-3"
              label="Name"
              value={draft.name}
              placeholder="Orders event store (prod)"
              errors={problems.for('name')}
              testId="field-name"
              onChange={(name) => change({ ...draft, name })}
            />
            <SegmentedField
              className="span-3"
              label="Kind"
              value={draft.kind}
              options={KIND_OPTIONS}
              errors={problems.for('settings.kind')}
              testId="field-kind"
              onChange={(kind) => change({ ...draft, kind })}
            />
          </div>
        </FormSection>

        <FormSection title={KIND_LABELS[draft.kind]}>
          {draft.kind === 'postgres' && <PostgresFields value={draft.postgres} problems={problems} onChange={(patch) => changeSection('postgres', patch)} />}
          {draft.kind === 'mongo' && <MongoFields value={draft.mongo} problems={problems} onChange={(patch) => changeSection('mongo', patch)} />}
          {draft.kind === 'kafka' && <KafkaFields value={draft.kafka} problems={problems} onChange={(patch) => changeSection('kafka', patch)} />}
          {secretLabel && (
            <SecretField
              label={secretLabel}
              value={draft.secret}
              saved={saved}
              errors={problems.for('secret')}
              clearSecret={draft.clearSecret}
              onChange={(secret) => change({ ...draft, secret })}
              onClearSecretChange={(clearSecret) => change({ ...draft, clearSecret })}
            />
          )}
        </FormSection>

        <FormSection title="Safety">
          <CheckboxField
            label="Read-only"
            checked={draft.readOnly}
            testId="field-read-only"
            description="Chronoscope refuses every operation that would write to this system (checkpoint resets, rebuilds, deletions). Browsing and monitoring still work."
            onChange={(readOnly) => change({ ...draft, readOnly })}
          />
          {draft.kind !== 'kafka' && (
            <CheckboxField
              label="May decrypt personal data"
              checked={draft.mayDecryptPersonalData}
              testId="field-may-decrypt"
              description="Browse, exports and time travel read the subjects' keys and show personal fields sealed per customer (AES-256-GCM) in clear; each view that decrypts is recorded in the audit log. Off: those fields stay encrypted. Read-only profiles may be allowed too."
              onChange={(mayDecryptPersonalData) => change({ ...draft, mayDecryptPersonalData })}
            />
          )}
        </FormSection>

        <FormFeedback testNote={testNote} testResult={test.data} problems={problems.unclaimed(visibleFields)} error={hostError} />
      </div>

      <footer className="conn-form__footer">
        <Button onClick={runTest} busy={test.isPending} data-testid="connection-form-test">
          Test connection
        </Button>
        <span className="conn-form__spacer" />
        <Button onClick={onCancel}>Cancel</Button>
        <Button type="submit" variant="primary" busy={save.isPending} data-testid="connection-form-save">
          {saved ? 'Save changes' : 'Save connection'}
        </Button>
      </footer>
    </form>
  );
}

function FormSection({ title, children }: { title: string; children: ReactNode }) {
  return (
    <fieldset className="conn-form__section">
      <legend className="conn-form__legend">{title}</legend>
      {children}
    </fieldset>
  );
}

interface FormFeedbackProps {
  testNote: string | undefined;
  testResult: ConnectionTestResult | undefined;
  problems: FieldProblem[];
  error: ChronoError | null;
}

/** What the last Test or Save said that does not belong next to a single field. */
function FormFeedback({ testNote, testResult, problems, error }: FormFeedbackProps) {
  const fieldErrors = error !== null && problemsOf(error).length > 0;
  const ref = useRef<HTMLDivElement>(null);
  // The form scrolls; a result below the fold would look like nothing happened.
  useEffect(() => {
    if (testResult || error) ref.current?.scrollIntoView({ block: 'nearest' });
  }, [testResult, error]);
  return (
    <div className="conn-form__feedback" aria-live="polite" ref={ref}>
      {testNote && (
        <Alert tone="info" title="Note">
          {testNote}
        </Alert>
      )}
      {testResult && <TestResultView result={testResult} testId="connection-form-test-result" />}
      {error && !fieldErrors && (
        <Alert tone="danger" title="Not saved" testId="connection-form-error">
          {error.message}
        </Alert>
      )}
      {fieldErrors && (
        <Alert tone="danger" title="Some fields need attention" testId="connection-form-error">
          {problems.length > 0 && (
            <ul className="conn-form__problems">
              {problems.map((p) => (
                <li key={`${p.field}:${p.message}`}>
                  <span className="mono">{p.field}</span>: {p.message}
                </li>
              ))}
            </ul>
          )}
        </Alert>
      )}
    </div>
  );
}

/**
 * A saved profile is tested by id, so its stored password is used unless one is typed here;
 * edited settings go along with the id.
 */
function testInputOf(
  draft: ConnectionDraft,
  settings: ConnectionSettings,
  saved: ConnectionView | undefined,
): { input: InputOf<'connections.test'>; note?: string } {
  if (saved && !draft.secret && !draft.clearSecret) {
    if (sameSettings(settings, saved.settings)) return { input: { id: saved.id } };
    if (saved.secretStorage !== 'none') return { input: { id: saved.id, settings } };
  }
  return { input: { settings, ...(draft.secret && !draft.clearSecret ? { secret: draft.secret } : {}) } };
}
