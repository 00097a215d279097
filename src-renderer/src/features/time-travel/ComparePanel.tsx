import { useState, type FormEvent } from 'react';
import { useOperation } from '../../client/operation-hooks';
import { Button } from '../../ui/Button';
import { Time } from '../../ui/Time';
import { parseTimeInput, TIME_INPUT_FORMAT, zoneLabel } from '../../ui/time';
import { useDraft } from '../../ui/use-draft';
import type { DefinitionEntry } from '../../../../src-shared/schemas/time-travel';
import { moneyOf, moneyText, type MoneyFields } from './money';
import { ErrorNote } from './ErrorNote';
import { downloadJson, fileSafe, pathText, valueText } from './export-json';
import type { ComparedPoints } from './time-travel-routes';
import type { Target } from './use-replay';

type Parsed = { target: Target } | { problem: string };

/** "12" is a version (within the stream's bounds); anything else is read as a 24-hour date and time in the display zone. */
export function parseTarget(text: string, first: number, last: number | undefined): Parsed {
  const trimmed = text.trim();
  if (trimmed === '') return { problem: 'Type a version or a date and time.' };
  if (/^v?\d+$/i.test(trimmed)) {
    const version = Number(trimmed.replace(/^v/i, ''));
    if (version < first) return { problem: `The stream starts at version ${first}.` };
    if (last !== undefined && version > last) return { problem: `The stream ends at version ${last}.` };
    return { target: { version } };
  }
  const time = parseTimeInput(trimmed);
  return time ? { target: { time } } : { problem: `Not a version or a time: type 12, or ${TIME_INPUT_FORMAT} (24-hour, ${zoneLabel()}).` };
}

/** The states at two points of the stream and what differs between them. */
interface ComparePanelProps {
  connectionId: string;
  streamId: string;
  definition: string;
  defaultA: number;
  defaultB: number;
  /** The stream's first and last versions, to refuse versions outside it before asking. */
  first: number;
  last: number | undefined;
  /** For the money fields the definition used declares. */
  definitions: readonly DefinitionEntry[] | undefined;
  /** The points compared, as the address names them (`?a=…&b=…`); Compare writes them there. */
  compared: ComparedPoints | undefined;
  onCompare: (points: ComparedPoints) => void;
}

export function ComparePanel({ connectionId, streamId, definition, defaultA, defaultB, first, last, definitions, compared, onCompare }: ComparePanelProps) {
  // The fields start from the compared points, and again whenever the address names others.
  const [aText, setAText] = useDraft(compared?.a ?? String(defaultA));
  const [bText, setBText] = useDraft(compared?.b ?? String(defaultB));
  // The texts the shown result answers: once the fields change, it no longer does.
  const submitted = compared;
  const [tried, setTried] = useState(false);
  const submittedA = submitted ? parseTarget(submitted.a, first, last) : undefined;
  const submittedB = submitted ? parseTarget(submitted.b, first, last) : undefined;
  const points = submittedA && 'target' in submittedA && submittedB && 'target' in submittedB ? { a: submittedA.target, b: submittedB.target } : undefined;
  // The definition follows the screen's select: changing it compares again.
  const compare = useOperation(
    'timeTravel.compare',
    { connectionId, streamId, ...(points ?? { a: { version: 0 }, b: { version: 0 } }), definition },
    { enabled: points !== undefined, retry: false },
  );
  const a = parseTarget(aText, first, last);
  const b = parseTarget(bText, first, last);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    if ('target' in a && 'target' in b) onCompare({ a: aText, b: bText });
  };
  const current = submitted !== undefined && submitted.a === aText && submitted.b === bText;
  const result = current && !compare.error ? compare.data : undefined;
  const money = moneyOf(definitions, result?.b.definition);
  // A field is marked once it was submitted wrong, or as soon as it holds something that is not a target.
  const problemOf = (parsed: Parsed, text: string) => ('problem' in parsed && (tried || text.trim() !== '') ? parsed.problem : undefined);
  const aProblem = problemOf(a, aText);
  const bProblem = problemOf(b, bText);
  return (
    <div className="tt-tool" data-testid="tt-compare">
      <form className="tt-tool__form" onSubmit={submit}>
        <label htmlFor="tt-compare-a" className="field__label">
          A
        </label>
        <input
          id="tt-compare-a"
          className="input mono tt-compare__input"
          value={aText}
          onChange={(e) => setAText(e.target.value)}
          aria-invalid={aProblem !== undefined}
          aria-describedby={aProblem ? 'tt-compare-a-problem' : undefined}
          placeholder="version or time"
          data-testid="tt-compare-a"
        />
        <label htmlFor="tt-compare-b" className="field__label">
          B
        </label>
        <input
          id="tt-compare-b"
          className="input mono tt-compare__input"
          value={bText}
          onChange={(e) => setBText(e.target.value)}
          aria-invalid={bProblem !== undefined}
          aria-describedby={bProblem ? 'tt-compare-b-problem' : undefined}
          placeholder="version or time"
          data-testid="tt-compare-b"
        />
        <Button size="sm" variant="primary" type="submit" busy={compare.isFetching && current} data-testid="tt-compare-go">
          Compare
        </Button>
        {result && (
          <Button
            size="sm"
            onClick={() => downloadJson(`${fileSafe(streamId)}-v${result.a.version}-v${result.b.version}-diff.json`, result.diff)}
            data-testid="tt-export-diff"
          >
            Export diff
          </Button>
        )}
        <span className="tt__muted">A version number (12) or a 24-hour date and time (2026-01-31 14:05, {zoneLabel()}).</span>
      </form>
      {aProblem && (
        <div className="field__error" id="tt-compare-a-problem" role="alert" data-testid="tt-compare-a-problem">
          A: {aProblem}
        </div>
      )}
      {bProblem && (
        <div className="field__error" id="tt-compare-b-problem" role="alert" data-testid="tt-compare-b-problem">
          B: {bProblem}
        </div>
      )}
      {current && compare.error && <ErrorNote title="Could not compare" error={compare.error} />}
      {submitted !== undefined && !current && compare.data && (
        <div className="tt__muted" data-testid="tt-compare-outdated">
          The points changed: press Compare to see their differences.
        </div>
      )}
      {result && (
        <>
          <div className="tt__muted" data-testid="tt-compare-summary">
            A = v{result.a.version}
            {result.a.timestamp ? (
              <>
                {' '}
                (<Time iso={result.a.timestamp} />)
              </>
            ) : (
              ''
            )}
            , B = v{result.b.version}
            {result.b.timestamp ? (
              <>
                {' '}
                (<Time iso={result.b.timestamp} />)
              </>
            ) : (
              ''
            )}
            : {result.diff.length} difference{result.diff.length === 1 ? '' : 's'}
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
                      <td className="mono tt-before">
                        <span className="tt-value">{valueText(d.before)}</span>
                        <MoneyNote fields={money} path={pathText(d.path)} amount={d.before} state={result.a.state} />
                      </td>
                      <td className="mono tt-after">
                        <span className="tt-value">{valueText(d.after)}</span>
                        <MoneyNote fields={money} path={pathText(d.path)} amount={d.after} state={result.b.state} />
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

/** The amount formatted (`3,055.48 EUR`) when the definition declares the field as money. */
function MoneyNote({ fields, path, amount, state }: { fields: MoneyFields | undefined; path: string; amount: unknown; state: unknown }) {
  const field = fields?.[path];
  const text = field ? moneyText(amount, field, state) : undefined;
  return text ? (
    <span className="tt-money" data-testid="tt-diff-money">
      {text}
    </span>
  ) : null;
}
