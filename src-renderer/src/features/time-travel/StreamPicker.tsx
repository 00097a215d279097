import { useMemo, useState, type FormEvent } from 'react';
import { useOperation } from '../../client/operation-hooks';
import { Button } from '../../ui/Button';
import { Time, timeHeader } from '../../ui/Time';
import { Panel } from '../../ui/Panel';
import { navigate, useQueryState } from '../../app/routes';
import { useKnownCategories } from '../browse/use-known-categories';
import { ErrorNote } from './ErrorNote';
import { timeTravelHref } from './time-travel-routes';
import { useDefinitions } from './use-definitions';
import './time-travel.css';

const ALL = '';
/** In the address: every stream, rather than the suggested category. */
const ALL_IN_ADDRESS = '*';
const NO_ROWS: never[] = [];

/**
 * The nav entry's first step: type a stream id, or pick one from a category of this store.
 * Stores without categories list their streams; the category first offered is one a definition
 * applies to (e.g. Account), so a click leads to a meaningful state.
 */
export function StreamPicker({ connectionId }: { connectionId: string }) {
  const [text, setText] = useState('');
  const capabilities = useOperation('stores.describe', { connectionId }, { retry: false });
  const definitions = useDefinitions();
  const known = useKnownCategories(capabilities.data?.hasCategory ? connectionId : undefined, NO_ROWS);
  const [chosen, setChosen] = useQueryState(
    (query) => query.category,
    (category: string | undefined) => ({ category }),
    { history: 'push' },
  );
  const hasCategory = capabilities.data?.hasCategory === true;
  const suggested = useMemo(() => {
    const declared = (definitions.data?.definitions ?? []).flatMap((d) => d.appliesTo?.categories ?? []);
    return declared.find((category) => known.includes(category));
  }, [definitions.data, known]);
  const category = !hasCategory || chosen === ALL_IN_ADDRESS ? ALL : (chosen ?? suggested ?? ALL);
  const listed = useOperation(
    'streams.list',
    { connectionId, ...(category ? { category } : {}), limit: 25 },
    { retry: false, enabled: capabilities.data !== undefined },
  );
  const example = placeholderOf(listed.data?.streams[0]?.streamId);
  const what = category ? `${category} streams` : 'Streams';

  const open = (event: FormEvent) => {
    event.preventDefault();
    const id = text.trim();
    if (id) navigate(timeTravelHref(id));
  };
  return (
    <div className="tt tt-picker" data-testid="time-travel-picker">
      <Panel title="Travel through a stream's history">
        <form className="tt-picker__form" onSubmit={open}>
          <label htmlFor="tt-stream-id" className="field__label">
            Stream id
          </label>
          <input
            id="tt-stream-id"
            className="input mono"
            placeholder={example}
            value={text}
            onChange={(e) => setText(e.target.value)}
            data-testid="tt-stream-input"
          />
          <Button variant="primary" type="submit" disabled={text.trim() === ''} data-testid="tt-stream-open">
            Open
          </Button>
        </form>
        <p className="tt__muted">Replays the stream's events through its projection definition, to show its state at any version or time.</p>
      </Panel>
      <Panel
        title={what}
        flush
        testId="tt-picker-list"
        actions={
          hasCategory && (
            <label className="tt-picker__category">
              <span className="tt__muted">Category</span>
              <select
                className="select"
                value={category}
                onChange={(e) => setChosen(e.target.value === ALL ? ALL_IN_ADDRESS : e.target.value)}
                data-testid="tt-picker-category"
              >
                <option value={ALL}>All streams</option>
                {[...new Set([...known, ...(category ? [category] : [])])].map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </select>
            </label>
          )
        }
      >
        {capabilities.error && <ErrorNote title="Could not read the store" error={capabilities.error} />}
        {listed.error && <ErrorNote title={`Could not list the ${what.toLowerCase()}`} error={listed.error} />}
        {(capabilities.isPending || (listed.isPending && capabilities.data)) && <div className="empty-state">Loading…</div>}
        {listed.data && listed.data.streams.length === 0 && <div className="empty-state">No {what.toLowerCase()} on this connection.</div>}
        {listed.data && listed.data.streams.length > 0 && (
          <table className="data-table">
            <thead>
              <tr>
                <th>Stream</th>
                <th className="num">Events</th>
                <th>{timeHeader('Last activity')}</th>
              </tr>
            </thead>
            <tbody>
              {listed.data.streams.map((stream) => (
                <tr key={stream.streamId}>
                  <td>
                    <a href={timeTravelHref(stream.streamId)} className="mono" data-testid="tt-pick-stream" data-stream-id={stream.streamId}>
                      {stream.streamId}
                    </a>
                  </td>
                  <td className="num">{stream.eventCount.toLocaleString('en-US')}</td>
                  <td>{stream.lastActivity ? <Time iso={stream.lastActivity} compact /> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
    </div>
  );
}

/** `e.g. acct-…` from a stream this store really has (its id up to the first separator). */
export function placeholderOf(streamId: string | undefined): string {
  if (!streamId) return 'a stream id';
  const separator = /[-:_/]/.exec(streamId.slice(1));
  return separator ? `e.g. ${streamId.slice(0, separator.index + 2)}…` : `e.g. ${streamId}`;
}
