import { useEffect, useRef, useState } from 'react';
import { ChronoError } from '../../../../src-shared/errors';
import type { InputOf, StreamDataOf } from '../../../../src-shared/operations';
import type { StoredEvent } from '../../../../src-shared/schemas/browse';
import { useClient } from '../../client/host-context';

/** Events arrived within this window count towards the rate. */
const RATE_WINDOW_MS = 10_000;
/** How long a new row stays highlighted. */
const FRESH_MS = 2500;
/** Live events kept in memory; older ones drop off (they stay readable through the normal paging). */
const MAX_LIVE_EVENTS = 5000;

export type TailFilter = Omit<InputOf<'feed.tail'>, 'connectionId' | 'afterPosition' | 'pollMs' | 'gapTimeoutMs'>;

export interface LiveTail {
  live: boolean;
  setLive: (live: boolean) => void;
  /** Events received since the tail started (or the filter changed), in arrival order. */
  events: StoredEvent[];
  /** Keys (see `liveKey`) of the events that arrived in the last moments. */
  fresh: ReadonlySet<string>;
  /** Events per second over the last 10 seconds. */
  rate: number;
  /** The last position the host reported; the tail resumes after it. */
  position: string | undefined;
  /** How the host follows appends: `notify:<channel>` (LISTEN/NOTIFY) or `poll`. */
  mode: string | undefined;
  /** How the host decides a hole in the positions is a rollback: transaction visibility or a timeout. */
  holes: HoleRule | undefined;
  error: ChronoError | undefined;
}

export type HoleRule = NonNullable<StreamDataOf<'feed.tail'>['holes']>;

export function liveKey(event: StoredEvent): string {
  return event.position ?? `${event.streamId}@${event.version}`;
}

/**
 * Follows `feed.tail` while `live` is on. Pausing cancels the stream on the
 * host; resuming starts a new one after the last position seen, so nothing
 * committed in between is missed. A new filter starts over from the head.
 */
export function useLiveTail(connectionId: string | undefined, filter: TailFilter, accept: (event: StoredEvent) => boolean = () => true): LiveTail {
  const client = useClient();
  const [live, setLive] = useState(false);
  const [events, setEvents] = useState<StoredEvent[]>([]);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const [rate, setRate] = useState(0);
  const [error, setError] = useState<ChronoError | undefined>(undefined);
  const [position, setPosition] = useState<string | undefined>(undefined);
  const [mode, setMode] = useState<string | undefined>(undefined);
  const [holes, setHoles] = useState<HoleRule | undefined>(undefined);
  const positionRef = useRef<string | undefined>(undefined);
  const arrivals = useRef<{ at: number; count: number }[]>([]);
  const acceptRef = useRef(accept);
  const recomputeRate = () => {
    const since = Date.now() - RATE_WINDOW_MS;
    arrivals.current = arrivals.current.filter((a) => a.at >= since);
    setRate(arrivals.current.reduce((sum, a) => sum + a.count, 0) / (RATE_WINDOW_MS / 1000));
  };
  const recomputeRef = useRef(recomputeRate);
  recomputeRef.current = recomputeRate;
  acceptRef.current = accept;
  const filterKey = JSON.stringify({ connectionId, filter });

  // A different filter (or connection) is a different tail: forget what the old one saw.
  useEffect(() => {
    positionRef.current = undefined;
    arrivals.current = [];
    setEvents([]);
    setFresh(new Set());
    setPosition(undefined);
    setError(undefined);
  }, [filterKey]);

  useEffect(() => {
    if (!live || connectionId === undefined) return;
    const { filter: current } = JSON.parse(filterKey) as { filter: TailFilter };
    const after = positionRef.current;
    setError(undefined);
    const handle = client.start('feed.tail', { connectionId, ...current, ...(after !== undefined ? { afterPosition: after } : {}) } as InputOf<'feed.tail'>, {
      onData: (data) => {
        positionRef.current = data.position;
        setPosition(data.position);
        if (data.mode !== undefined) setMode(data.mode);
        if (data.holes !== undefined) setHoles(data.holes);
        const arrived = data.events.filter((event) => acceptRef.current(event));
        if (arrived.length === 0) return;
        arrivals.current.push({ at: Date.now(), count: arrived.length });
        recomputeRef.current();
        setEvents((previous) => {
          const known = new Set(previous.map(liveKey));
          const next = [...previous, ...arrived.filter((event) => !known.has(liveKey(event)))];
          return next.length > MAX_LIVE_EVENTS ? next.slice(next.length - MAX_LIVE_EVENTS) : next;
        });
        const keys = arrived.map(liveKey);
        setFresh((previous) => new Set([...previous, ...keys]));
        setTimeout(() => {
          setFresh((previous) => {
            const next = new Set(previous);
            for (const key of keys) next.delete(key);
            return next;
          });
        }, FRESH_MS);
      },
    });
    let active = true;
    void handle.result.then((envelope) => {
      if (!active) return;
      if (envelope.ok) positionRef.current = envelope.data.position;
      else if (envelope.error.code !== 'cancelled') {
        setError(ChronoError.fromPayload(envelope.error));
        setLive(false);
      }
    });
    return () => {
      active = false;
      handle.cancel();
    };
  }, [client, connectionId, filterKey, live]);

  // The rate is recomputed every second while live, and drops to zero when paused.
  useEffect(() => {
    if (!live) {
      setRate(0);
      return;
    }
    recomputeRef.current();
    const timer = setInterval(() => recomputeRef.current(), 1000);
    return () => clearInterval(timer);
  }, [live]);

  return { live, setLive, events, fresh, rate, position, mode, holes, error };
}
