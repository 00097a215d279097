import type { ResultOf } from '../../../../src-shared/operations';
import { messageOf } from '../../client/errors';
import { useMutationOp, useOperation } from '../../client/operation-hooks';
import { Badge } from '../../ui/Badge';
import { Button } from '../../ui/Button';
import { KeyValueList } from '../../ui/KeyValue';
import { Panel } from '../../ui/Panel';
import type { ReactNode } from 'react';
import { buildHash } from '../../app/routes';
import { timeTravelHref } from '../time-travel/time-travel-routes';

/** The Local workspace's live demo: what it does on purpose, and the switch that pauses it. */
export function LiveDemoPanel() {
  const { data: demo } = useOperation('demo.status', {}, { refetchInterval: 3000 });
  const setPaused = useMutationOp('demo.setPaused');
  if (!demo?.available) return null;
  const paused = setPaused.isPending ? !(setPaused.variables?.paused ?? demo.paused) : demo.paused;
  return (
    <Panel
      title="Live demo"
      testId="live-demo"
      actions={
        <Button
          size="sm"
          busy={setPaused.isPending}
          onClick={() => setPaused.mutate({ paused: !paused, reason: paused ? 'Resume the live demo' : 'Pause the live demo' })}
          data-testid="live-demo-switch"
          aria-pressed={!paused}
        >
          {paused ? 'Resume' : 'Pause'}
        </Button>
      }
    >
      <p className="fact" data-testid="live-demo-state" data-paused={String(paused)}>
        <Badge tone={paused ? 'neutral' : 'success'}>{paused ? 'Paused' : 'Running'}</Badge>
        <span>
          {paused ? 'Live demo: paused, the Local workspace gets no new events.' : 'Live demo: generating a few events per second in the Local workspace.'}
        </span>
      </p>
      <KeyValueList items={facts(demo)} />
      {demo.lastError && <p className="muted">Last command error: {demo.lastError}</p>}
      {setPaused.error && <p className="jobs-tray__error">{messageOf(setPaused.error)}</p>}
    </Panel>
  );
}

type DemoStatus = ResultOf<'demo.status'>;

function facts(demo: DemoStatus): [string, ReactNode][] {
  const items: [string, ReactNode][] = [
    ['Written since start', <span data-testid="live-demo-events">{`${demo.events} events from ${demo.commands} commands`}</span>],
  ];
  if (demo.laggingProjector) {
    items.push([
      'Lagging on purpose',
      <span>
        <span className="mono">{demo.laggingProjector}</span> kept {Math.round((demo.lagBehindMs ?? 0) / 1000)} s behind the head
      </span>,
    ]);
  }
  if (demo.staleSnapshotStream) {
    items.push([
      'Stale on purpose',
      <span>
        the latest snapshot of{' '}
        <a className="mono" href={timeTravelHref(demo.staleSnapshotStream)}>
          {demo.staleSnapshotStream}
        </a>{' '}
        disagrees with its events
      </span>,
    ]);
  }
  if (demo.driftedRows) {
    items.push([
      'Corrupted on purpose',
      <span data-testid="live-demo-drift">
        {demo.driftedRows.keys.length} rows of <span className="mono">{demo.driftedRows.model}</span> (one edited, one deleted, one that no stream gives):{' '}
        <a href={buildHash('rebuilds', undefined, { drift: demo.driftedRows.model })} data-testid="live-demo-drift-check">
          check it for drift
        </a>{' '}
        on the Rebuilds screen and repair just those
      </span>,
    ]);
  }
  return items;
}
