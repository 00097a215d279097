import { useState, type FormEvent } from 'react';
import { useOperation } from '../../client/operation-hooks';
import { Button } from '../../ui/Button';
import { Time, timeHeader } from '../../ui/Time';
import { Panel } from '../../ui/Panel';
import { navigate } from '../../app/routes';
import { ErrorNote } from './ErrorNote';
import { timeTravelHref } from './time-travel-routes';
import './time-travel.css';

/** The nav entry's first step: type a stream id, or pick one of the Account streams. */
export function StreamPicker({ connectionId }: { connectionId: string }) {
  const [text, setText] = useState('');
  const accounts = useOperation('streams.list', { connectionId, category: 'Account', limit: 25 }, { retry: false });
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
          <input id="tt-stream-id" className="input mono" placeholder="e.g. account-…" value={text} onChange={(e) => setText(e.target.value)} data-testid="tt-stream-input" />
          <Button variant="primary" type="submit" disabled={text.trim() === ''} data-testid="tt-stream-open">
            Open
          </Button>
        </form>
        <p className="tt__muted">Replays the stream's events through its projection definition, to show its state at any version or time.</p>
      </Panel>
      <Panel title="Account streams" flush>
        {accounts.error && <ErrorNote title="Could not list the Account streams" error={accounts.error} />}
        {accounts.isPending && <div className="empty-state">Loading…</div>}
        {accounts.data && accounts.data.streams.length === 0 && <div className="empty-state">No Account streams on this connection.</div>}
        {accounts.data && accounts.data.streams.length > 0 && (
          <table className="data-table">
            <thead>
              <tr>
                <th>Stream</th>
                <th className="num">Events</th>
                <th>{timeHeader('Last activity')}</th>
              </tr>
            </thead>
            <tbody>
              {accounts.data.streams.map((stream) => (
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
