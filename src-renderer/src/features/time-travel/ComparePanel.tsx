import { useState, type FormEvent } from 'react';
import type { InputOf } from '../../../../src-shared/operations';
import { useOperation } from '../../client/operation-hooks';
import { Button } from '../../ui/Button';
import { formatTimestamp } from '../../ui/format';
import { ErrorNote } from './ErrorNote';
import { downloadJson, fileSafe, pathText, valueText } from './export-json';
import type { Target } from './use-replay';

/** "12" is a version; anything else is read as a date and time. */
function parseTarget(text: string): Target | undefined {
  const trimmed = text.trim();
  if (/^v?\d+$/i.test(trimmed)) return { version: Number(trimmed.replace(/^v/i, '')) };
  const date = new Date(trimmed);
  return trimmed && !Number.isNaN(date.getTime()) ? { time: date.toISOString() } : undefined;
}

/** The states at two points of the stream and what differs between them. */
export function ComparePanel({ connectionId, streamId, definition, defaultA, defaultB }: { connectionId: string; streamId: string; definition: string; defaultA: number; defaultB: number }) {
  const [aText, setAText] = useState(String(defaultA));
  const [bText, setBText] = useState(String(defaultB));
  const [input, setInput] = useState<InputOf<'timeTravel.compare'> | undefined>(undefined);
  // The definition follows the screen's select: changing it compares again.
  const compare = useOperation('timeTravel.compare', { ...(input ?? { connectionId, streamId, a: { version: 0 }, b: { version: 0 } }), definition }, { enabled: input !== undefined, retry: false });
  const a = parseTarget(aText);
  const b = parseTarget(bText);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (a && b) setInput({ connectionId, streamId, a, b });
  };
  const result = compare.data;
  return (
    <div className="tt-tool" data-testid="tt-compare">
      <form className="tt-tool__form" onSubmit={submit}>
        <label htmlFor="tt-compare-a" className="field__label">
          A
        </label>
        <input id="tt-compare-a" className="input mono tt-compare__input" value={aText} onChange={(e) => setAText(e.target.value)} aria-invalid={!a} placeholder="version or time" data-testid="tt-compare-a" />
        <label htmlFor="tt-compare-b" className="field__label">
          B
        </label>
        <input id="tt-compare-b" className="input mono tt-compare__input" value={bText} onChange={(e) => setBText(e.target.value)} aria-invalid={!b} placeholder="version or time" data-testid="tt-compare-b" />
        <Button size="sm" variant="primary" type="submit" busy={compare.isFetching} disabled={!a || !b} data-testid="tt-compare-go">
          Compare
        </Button>
        {result && (
          <Button size="sm" onClick={() => downloadJson(`${fileSafe(streamId)}-v${result.a.version}-v${result.b.version}-diff.json`, result.diff)} data-testid="tt-export-diff">
            Export diff
          </Button>
        )}
        <span className="tt__muted">A version number (12) or a date and time (2026-01-31 14:05).</span>
      </form>
      {compare.error && <ErrorNote title="Could not compare" error={compare.error} />}
      {result && (
        <>
          <div className="tt__muted" data-testid="tt-compare-summary">
            A = v{result.a.version}
            {result.a.timestamp ? ` (${formatTimestamp(result.a.timestamp)})` : ''}, B = v{result.b.version}
            {result.b.timestamp ? ` (${formatTimestamp(result.b.timestamp)})` : ''}: {result.diff.length} difference{result.diff.length === 1 ? '' : 's'}
          </div>
          {result.diff.length > 0 && (
            <div className="tt-table-scroll">
              <table className="data-table tt-table">
                <thead>
                  <tr>
                    <th>Path</th>
                    <th>Kind</th>
                    <th>Before (A)</th>
                    <th>After (B)</th>
                  </tr>
                </thead>
                <tbody>
                  {result.diff.map((d) => (
                    <tr key={pathText(d.path)} data-testid="tt-diff-row" data-path={pathText(d.path)} data-kind={d.kind}>
                      <td className="mono">{pathText(d.path)}</td>
                      <td>
                        <span className={`tt-chip tt-chip--${d.kind}`}>{d.kind}</span>
                      </td>
                      <td className="mono tt-before">{valueText(d.before)}</td>
                      <td className="mono tt-after">{valueText(d.after)}</td>
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
