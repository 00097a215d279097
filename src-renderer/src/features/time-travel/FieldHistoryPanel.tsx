import { useMemo, useState, type FormEvent } from 'react';
import { useOperation } from '../../client/operation-hooks';
import { Button } from '../../ui/Button';
import { Time, timeHeader } from '../../ui/Time';
import { ErrorNote } from './ErrorNote';
import { downloadJson, fileSafe, valueText } from './export-json';
import { fieldPaths, firstScalarPath } from './field-paths';

interface FieldHistoryPanelProps {
  connectionId: string;
  streamId: string;
  definition: string;
  /** The state on screen: its fields are the paths suggested (an Order has no `balanceCents`). */
  state: unknown;
  onPick: (version: number) => void;
}

/** Every event that changed one field of the state, old value → new value. */
export function FieldHistoryPanel({ connectionId, streamId, definition, state, onPick }: FieldHistoryPanelProps) {
  const [text, setText] = useState('');
  const suggestions = useMemo(() => fieldPaths(state), [state]);
  const example = firstScalarPath(state);
  const [path, setPath] = useState<string | undefined>(undefined);
  const history = useOperation(
    'timeTravel.fieldHistory',
    { connectionId, streamId, path: path ?? '-', definition },
    { enabled: path !== undefined, retry: false },
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (text.trim()) setPath(text.trim());
  };
  const changes = history.data?.changes ?? [];
  return (
    <div className="tt-tool" data-testid="tt-history">
      <form className="tt-tool__form" onSubmit={submit}>
        <label htmlFor="tt-history-path" className="field__label">
          Field path
        </label>
        <input
          id="tt-history-path"
          className="input mono"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={example ? `e.g. ${example}` : 'a dotted path, e.g. lines.0.quantity'}
          list="tt-history-paths"
          autoComplete="off"
          data-testid="tt-history-path"
        />
        <datalist id="tt-history-paths" data-testid="tt-history-paths">
          {suggestions.map((path) => (
            <option key={path} value={path} />
          ))}
        </datalist>
        <Button size="sm" variant="primary" type="submit" busy={history.isFetching} disabled={text.trim() === ''} data-testid="tt-history-go">
          Show history
        </Button>
        {history.data && (
          <Button size="sm" onClick={() => downloadJson(`${fileSafe(streamId)}-${fileSafe(path ?? '')}-history.json`, history.data)}>
            Export JSON
          </Button>
        )}
      </form>
      {history.error && <ErrorNote title="Could not read the field history" error={history.error} />}
      {path === undefined && <div className="tt__muted">Enter a dotted path into the state and press “Show history”.</div>}
      {history.data && (
        <>
          <div className="tt__muted" data-testid="tt-history-summary">
            {changes.length} change{changes.length === 1 ? '' : 's'} to <span className="mono">{path}</span> up to v{history.data.version}
            {history.data.truncated && ' (truncated)'}
          </div>
          {changes.length > 0 && (
            <div className="tt-table-scroll">
              <table className="data-table tt-table">
                <thead>
                  <tr>
                    <th className="num">Version</th>
                    <th>Type</th>
                    <th>{timeHeader()}</th>
                    <th>Old → new</th>
                  </tr>
                </thead>
                <tbody>
                  {changes.map((change) => (
                    <tr key={change.event.version} data-testid="tt-history-row" data-version={change.event.version}>
                      <td className="num mono">
                        <button type="button" className="tt-linklike" onClick={() => onPick(change.event.version)} title="Show the state at this version">
                          {change.event.version}
                        </button>
                      </td>
                      <td>{change.event.type}</td>
                      <td className="nowrap">{change.event.timestamp ? <Time iso={change.event.timestamp} compact /> : '—'}</td>
                      <td className="mono">
                        <span className="tt-before">{valueText(change.before)}</span> →{' '}
                        <span className="tt-after" data-testid="tt-history-after">
                          {valueText(change.after)}
                        </span>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
    </div>
  );
}
