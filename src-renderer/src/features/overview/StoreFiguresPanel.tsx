import { useActiveConnection } from '../../app/active-connection';
import { messageOf } from '../../client/errors';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { KeyValueList } from '../../ui/KeyValue';
import { Panel } from '../../ui/Panel';

type Figure = { count: number; exact: boolean } | null | undefined;

/** A count as exact, "about" when estimated, or why it is missing. */
function figureText(figure: Figure, what: string): string {
  if (!figure) return `Not counted (this store's layout has no cheap count of ${what})`;
  return figure.exact ? figure.count.toLocaleString('en-US') : `about ${figure.count.toLocaleString('en-US')} (estimate: counting would take too long)`;
}

/** The active event store's own figures, and where each kind of user starts. */
export function StoreFiguresPanel() {
  const { active } = useActiveConnection();
  const figures = useOperation(
    'stats.store',
    { connectionId: active?.id ?? '' },
    { enabled: active !== undefined, retry: false, staleTime: 30_000, refetchInterval: 60_000 },
  );
  const f = figures.data;
  return (
    <Panel title={active ? `Event store: ${active.name}` : 'Event store'} testId="overview-store">
      {figures.error && (
        <Alert tone="warning" title="Could not read the store's figures">
          {messageOf(figures.error)}
        </Alert>
      )}
      {f && (
        <KeyValueList
          testId="overview-store-figures"
          items={[
            ['Events', <span data-testid="overview-store-events">{figureText(f.events, 'events')}</span>],
            ['Streams', <span data-testid="overview-store-streams">{figureText(f.streams, 'streams')}</span>],
            [
              'Head position',
              <span className="mono" data-testid="overview-store-head">
                {f.head ?? 'None (no global position, or no events)'}
              </span>,
            ],
            [
              'Recent rate',
              <span data-testid="overview-store-rate">
                {f.ratePerMinute === null
                  ? 'Unknown (the events carry no time)'
                  : `${f.ratePerMinute.toLocaleString('en-US')} events/min over the last ${f.rateWindowMinutes} min`}
              </span>,
            ],
          ]}
        />
      )}
      {!f && !figures.error && active && <p className="muted">Counting…</p>}
      <nav aria-label="Start here" className="overview__start" data-testid="overview-start">
        <h3 className="overview__start-title">Start here</h3>
        <ul>
          <li>
            <a href="#/streams">Browse a stream</a> <span className="muted">Its events, payloads and metadata</span>
          </li>
          <li>
            <a href="#/time-travel">Time travel</a> <span className="muted">An aggregate's state at any version or time</span>
          </li>
          <li>
            <a href="#/checkpoints">Checkpoints</a> <span className="muted">How far behind each projection is, and resets</span>
          </li>
          <li>
            <a href="#/kafka">Kafka lag</a> <span className="muted">Consumer groups, their lag and status</span>
          </li>
          <li>
            <a href="#/compliance">Compliance request</a> <span className="muted">Find, export or erase a person's data</span>
          </li>
        </ul>
      </nav>
    </Panel>
  );
}
