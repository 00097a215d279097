import { useEffect, useRef } from 'react';
import type { StoredEvent } from '../../../../src-shared/schemas/browse';
import { Time } from '../../ui/Time';

/** The window of events around the selected version; the selected one kept in view. */
export function EventList({
  events,
  selected,
  onPick,
  loading,
}: {
  events: StoredEvent[];
  selected: number | undefined;
  onPick: (version: number) => void;
  loading: boolean;
}) {
  const listRef = useRef<HTMLDivElement>(null);
  // Keep the selected event in view as the slider moves.
  useEffect(() => {
    const row = listRef.current?.querySelector<HTMLElement>(`[data-version="${selected}"]`);
    row?.scrollIntoView({ block: 'center' });
  }, [selected, events]);
  if (loading) return <div className="empty-state">Loading events…</div>;
  if (events.length === 0) return <div className="empty-state">This stream has no events.</div>;
  return (
    <div className="tt-events" ref={listRef} role="listbox" aria-label="Events" data-testid="tt-events">
      {events.map((event) => {
        const on = event.version === selected;
        const future = selected !== undefined && event.version > selected;
        return (
          <div
            key={event.version}
            role="option"
            aria-selected={on}
            tabIndex={on ? 0 : -1}
            className={['tt-event', on ? 'tt-event--on' : '', future ? 'tt-event--future' : ''].filter(Boolean).join(' ')}
            onClick={() => onPick(event.version)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault();
                onPick(event.version);
              }
            }}
            data-testid="tt-event"
            data-version={event.version}
            data-type={event.type}
          >
            <span className="mono num">{event.version}</span>
            <span className="clip tt-event__type" title={event.type}>
              {event.type}
            </span>
            <span className="nowrap tt__muted">{event.timestamp ? <Time iso={event.timestamp} /> : '—'}</span>
          </div>
        );
      })}
    </div>
  );
}
