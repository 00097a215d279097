import type { DefinitionEntry } from '../../../../src-shared/schemas/time-travel';

interface DefinitionSelectProps {
  value: string;
  definitions: DefinitionEntry[];
  onChange: (name: string) => void;
}

/** Picks the projection definition: automatic, a built-in, or one of the user's (grouped; broken or unconfirmed ones shown, not selectable). */
export function DefinitionSelect({ value, definitions, onChange }: DefinitionSelectProps) {
  const builtins = definitions.filter((d) => d.source === 'builtin');
  const mine = definitions.filter((d) => d.source === 'user');
  // A selection that vanished (file removed) stays visible, so the screen does not silently switch definitions.
  const unknown = value !== 'auto' && !definitions.some((d) => d.name === value);
  return (
    <label className="tt-definition">
      <span className="tt__muted">Definition</span>
      <select className="select" value={value} onChange={(e) => onChange(e.target.value)} data-testid="tt-definition">
        <option value="auto">Automatic (by category or prefix)</option>
        <optgroup label="Built-in">
          {builtins.map((d) => (
            <option key={d.name} value={d.name} title={d.appliesToSummary}>
              {d.name}
            </option>
          ))}
        </optgroup>
        {mine.length > 0 && (
          <optgroup label="Yours" data-testid="tt-definition-user-group">
            {mine.map((d) => (
              <option
                key={d.name}
                value={d.name}
                disabled={d.status !== 'loaded'}
                title={d.status === 'unconfirmed' ? 'New or changed: confirm it in the definitions folder dialog' : (d.error?.message ?? d.appliesToSummary)}
              >
                {d.name}
                {d.status === 'error' ? ' (error)' : d.status === 'unconfirmed' ? ' (awaiting confirmation)' : ''}
              </option>
            ))}
          </optgroup>
        )}
        {unknown && <option value={value}>{value} (gone)</option>}
      </select>
    </label>
  );
}
