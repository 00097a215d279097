import type { ConnectionView } from '../../../../src-shared/schemas/connections';
import { CheckboxField, TextField } from '../../ui/inputs';
import { SECRET_STORAGE_LABELS } from './describe';

interface Props {
  label: string;
  value: string;
  onChange: (value: string) => void;
  clearSecret: boolean;
  onClearSecretChange: (clear: boolean) => void;
  /** The saved profile when editing: decides the "leave empty to keep" wording. */
  saved: ConnectionView | undefined;
  errors: string[];
}

/** Write-only: the stored password is never sent back, so the field always starts empty. */
export function SecretField({ label, value, onChange, clearSecret, onClearSecretChange, saved, errors }: Props) {
  const hasStored = saved !== undefined && saved.secretStorage !== 'none';
  const hint = hasStored
    ? `A password is stored: ${SECRET_STORAGE_LABELS[saved.secretStorage].toLowerCase()}. Leave empty to keep it.`
    : 'Optional. Kept by the main process; this window never sees it again.';
  return (
    <div className="secret-field">
      <TextField
        label={label}
        type="password"
        autoComplete="new-password"
        value={value}
        placeholder={hasStored ? 'leave empty to keep' : ''}
        hint={hint}
        errors={errors}
        testId="field-secret"
        disabled={clearSecret}
        onChange={onChange}
      />
      {hasStored && saved.secretStorage !== 'environment' && (
        <CheckboxField label="Forget the stored password" checked={clearSecret} testId="field-clear-secret" onChange={onClearSecretChange} />
      )}
    </div>
  );
}
