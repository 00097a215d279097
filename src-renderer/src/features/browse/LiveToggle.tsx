import type { HoleRule, LiveTail } from './use-live-tail';

/** "Live" on/off, with the rate of new events over the last 10 seconds while on. */
export function LiveToggle({ tail, onChange }: { tail: LiveTail; onChange: (live: boolean) => void }) {
  const label = tail.live ? 'Pause' : tail.events.length > 0 || tail.position !== undefined ? 'Resume live' : 'Live';
  return (
    <span className="live-toggle">
      <button
        type="button"
        className={tail.live ? 'btn btn--sm live-toggle__button live-toggle__button--on' : 'btn btn--sm live-toggle__button'}
        aria-pressed={tail.live}
        onClick={() => onChange(!tail.live)}
        title={tail.live ? 'Stop following new events' : 'Follow new events as they are committed'}
        data-testid="live-toggle"
      >
        <span className="live-toggle__dot" aria-hidden="true" />
        {label}
      </button>
      {tail.live && (
        <span
          className="live-toggle__rate"
          data-testid="live-rate"
          data-mode={tail.mode}
          title={`Events per second over the last 10 seconds; ${describeMode(tail.mode)}`}
        >
          {tail.rate.toFixed(1)} ev/s{tail.mode?.startsWith('notify:') ? ' · notified' : ''}
        </span>
      )}
      {tail.live && tail.holes && (
        <span className="live-toggle__holes" data-testid="live-holes" data-rule={tail.holes.rule} title={describeHoles(tail.holes)}>
          {tail.holes.rule === 'visibility' ? 'holes closed by transaction visibility' : `holes closed after ${formatSeconds(tail.holes.afterMs)} timeout`}
        </span>
      )}
    </span>
  );
}

function describeHoles(holes: HoleRule): string {
  if (holes.rule === 'visibility')
    return 'A gap in the positions is waited for until every transaction that could fill it has ended, however long it stays open; a rollback is passed as soon as it ends.';
  return `This store cannot report its transactions: a gap in the positions still open after ${formatSeconds(holes.afterMs)} is taken as a rollback, so an insert committed later than that is not shown live (it stays readable in the history).`;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function describeMode(mode: string | undefined): string {
  if (mode === undefined) return 'starting';
  if (mode.startsWith('notify:')) return `woken by the store's NOTIFY on channel "${mode.slice('notify:'.length)}"`;
  return 'polling: the store fires no notification';
}
