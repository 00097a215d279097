import { useState, type FormEvent } from 'react';
import type { StoredEvent } from '../../../../src-shared/schemas/browse';
import { Button } from '../../ui/Button';
import { formatTimestamp } from '../../ui/format';

interface SliderProps {
  events: StoredEvent[];
  first: number;
  last: number | undefined;
  selected: number | undefined;
  loading: boolean;
  onPick: (version: number) => void;
  onTime: (iso: string) => void;
}

/** The version slider with step buttons, and "state at time". */
export function Slider({ events, first, last, selected, loading, onPick, onTime }: SliderProps) {
  const [time, setTime] = useState('');
  const current = events.find((e) => e.version === selected);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const date = new Date(time);
    if (!Number.isNaN(date.getTime())) onTime(date.toISOString());
  };
  const step = (delta: number) => {
    if (selected === undefined || last === undefined) return;
    onPick(Math.min(last, Math.max(first, selected + delta)));
  };
  return (
    <div className="tt-slider panel" data-testid="tt-slider">
      <div className="tt-slider__main">
        <Button size="sm" onClick={() => step(-1)} disabled={selected === undefined || selected <= first} aria-label="Previous version" data-testid="tt-prev">
          ‹
        </Button>
        <input
          type="range"
          className="tt-slider__range"
          min={first}
          max={last ?? first}
          step={1}
          value={selected ?? first}
          disabled={loading || last === undefined}
          aria-label="Version"
          onChange={(e) => onPick(Number(e.target.value))}
          data-testid="tt-range"
        />
        <Button size="sm" onClick={() => step(1)} disabled={selected === undefined || last === undefined || selected >= last} aria-label="Next version" data-testid="tt-next">
          ›
        </Button>
        <span className="tt-slider__value" data-testid="tt-version">
          {selected !== undefined ? `v${selected}` : '—'}
          <span className="tt__muted"> / {last ?? '…'}</span>
        </span>
      </div>
      <div className="tt-slider__info">
        <span className="tt__muted nowrap">
          {current ? (
            <>
              <strong className="tt-slider__type">{current.type}</strong> {current.timestamp ? formatTimestamp(current.timestamp) : ''}
            </>
          ) : (
            ' '
          )}
        </span>
        <form className="tt-slider__time" onSubmit={submit}>
          <label htmlFor="tt-time" className="tt__muted">
            State at time
          </label>
          <input id="tt-time" className="input" type="datetime-local" step={1} value={time} onChange={(e) => setTime(e.target.value)} data-testid="tt-time" />
          <Button size="sm" type="submit" disabled={time === ''} data-testid="tt-time-go">
            Go
          </Button>
        </form>
      </div>
    </div>
  );
}
