import { useId, type ReactNode } from 'react';
import { Field } from './Field';

interface CommonProps {
  label: ReactNode;
  hint?: ReactNode;
  errors?: string[];
  testId?: string;
  className?: string;
}

interface TextFieldProps extends CommonProps {
  value: string;
  onChange: (value: string) => void;
  placeholder?: string;
  type?: 'text' | 'password' | 'number';
  autoComplete?: string;
  /** A textarea with this many rows. */
  rows?: number;
  disabled?: boolean;
  /** Values offered as the user types (a datalist); any other value can still be typed. */
  suggestions?: readonly string[];
}

export function TextField({
  label,
  hint,
  errors,
  testId,
  className,
  value,
  onChange,
  placeholder,
  type = 'text',
  autoComplete = 'off',
  rows,
  disabled,
  suggestions,
}: TextFieldProps) {
  return (
    <Field label={label} hint={hint} errors={errors} className={className}>
      {({ id, describedBy, invalid }) => {
        // What the textarea and the input carry alike.
        const shared = {
          id,
          value,
          placeholder,
          disabled,
          'aria-invalid': invalid,
          'aria-describedby': describedBy,
          'data-testid': testId,
          spellCheck: false,
          onChange: (event: { target: { value: string } }) => onChange(event.target.value),
        };
        return rows ? (
          <textarea className="textarea" rows={rows} {...shared} />
        ) : (
          <>
            <input className="input" type={type} autoComplete={autoComplete} list={suggestions ? `${id}-suggestions` : undefined} {...shared} />
            {suggestions && (
              <datalist id={`${id}-suggestions`} data-testid={testId ? `${testId}-suggestions` : undefined}>
                {suggestions.map((suggestion) => (
                  <option key={suggestion} value={suggestion} />
                ))}
              </datalist>
            )}
          </>
        );
      }}
    </Field>
  );
}

interface SelectFieldProps<V extends string> extends CommonProps {
  value: V;
  options: readonly { value: V; label: string }[];
  onChange: (value: V) => void;
  disabled?: boolean;
}

export function SelectField<V extends string>({ label, hint, errors, testId, className, value, options, onChange, disabled }: SelectFieldProps<V>) {
  return (
    <Field label={label} hint={hint} errors={errors} className={className}>
      {({ id, describedBy, invalid }) => (
        <select
          id={id}
          className="select"
          value={value}
          disabled={disabled}
          aria-invalid={invalid}
          aria-describedby={describedBy}
          data-testid={testId}
          onChange={(event) => onChange(event.target.value as V)}
        >
          {options.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

interface CheckboxFieldProps {
  label: ReactNode;
  description?: ReactNode;
  checked: boolean;
  onChange: (checked: boolean) => void;
  testId?: string;
}

export function CheckboxField({ label, description, checked, onChange, testId }: CheckboxFieldProps) {
  return (
    <label className="checkbox">
      <input type="checkbox" checked={checked} data-testid={testId} onChange={(event) => onChange(event.target.checked)} />
      <span className="checkbox__text">
        <span className="field__label">{label}</span>
        {description && <span className="field__hint">{description}</span>}
      </span>
    </label>
  );
}

interface SegmentedFieldProps<V extends string> {
  label: ReactNode;
  value: V;
  options: readonly { value: V; label: string; title?: string }[];
  onChange: (value: V) => void;
  errors?: string[];
  /** Each option gets `${testId}-${value}`. */
  testId?: string;
  className?: string;
}

/** A few mutually exclusive choices shown side by side (radio buttons underneath). */
export function SegmentedField<V extends string>({ label, value, options, onChange, errors = [], testId, className }: SegmentedFieldProps<V>) {
  const name = useId();
  return (
    <div className={`field ${className ?? ''}`} role="radiogroup" aria-labelledby={`${name}-label`}>
      <span className="field__label" id={`${name}-label`}>
        {label}
      </span>
      <div className="segmented">
        {options.map((option) => (
          <label
            key={option.value}
            className={option.value === value ? 'segmented__option segmented__option--on' : 'segmented__option'}
            title={option.title}
            data-testid={testId ? `${testId}-${option.value}` : undefined}
          >
            <input
              type="radio"
              className="visually-hidden"
              name={name}
              value={option.value}
              checked={option.value === value}
              onChange={() => onChange(option.value)}
            />
            {option.label}
          </label>
        ))}
      </div>
      {errors.length > 0 && <div className="field__error">{errors.join('; ')}</div>}
    </div>
  );
}
