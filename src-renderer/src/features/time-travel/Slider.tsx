import { useState, type FormEvent } from 'react';
import type { StoredEvent } from '../../../../src-shared/schemas/browse';
import { Button } from '../../ui/Button';
import { Time } from '../../ui/Time';
import { parseTimeInput, TIME_INPUT_FORMAT, zoneLabel } from '../../ui/time';

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
  const [invalid, setInvalid] = useState(false);
  const current = events.find((e) => e.version === selected);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const iso = parseTimeInput(time);
    setInvalid(iso === undefined);
    if (iso !== undefined) onTime(iso);
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
        <Button
          size="sm"
          onClick={() => step(1)}
          disabled={selected === undefined || last === undefined || selected >= last}
          aria-label="Next version"
          data-testid="tt-next"
        >
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
              <strong className="tt-slider__type">{current.type}</strong> {current.timestamp ? <Time iso={current.timestamp} /> : ''}
            </>
          ) : (
            ' '
          )}
        </span>
        <form className="tt-slider__time" onSubmit={submit}>
          <label htmlFor="tt-time" className="tt__muted">
            State at time
          </label>
          <input
            id="tt-time"
            className="input tt-slider__time-input"
            type="text"
            inputMode="numeric"
            placeholder={TIME_INPUT_FORMAT}
            title={`24-hour time in ${zoneLabel()} (the zone is set in Settings)`}
            value={time}
            aria-invalid={invalid || undefined}
            onChange={(e) => {
              setTime(e.target.value);
              setInvalid(false);
            }}
            data-testid="tt-time"
          />
          <span className="tt__muted">{zoneLabel()}</span>
          <Button size="sm" type="submit" disabled={time === ''} data-testid="tt-time-go">
            Go
          </Button>
        </form>
        {invalid && (
          <span className="tt-slider__invalid" role="alert" data-testid="tt-time-invalid">
            Type the time as {TIME_INPUT_FORMAT} (24-hour, {zoneLabel()}).
          </span>
        )}
      </div>
    </div>
  );
}
