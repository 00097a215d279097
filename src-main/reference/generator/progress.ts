/** Progress of a long write, reported after each batch. */
export interface WriteProgress {
  events: number;
  total: number;
  elapsedMs: number;
  eventsPerSecond: number;
}

export type ProgressListener = (progress: WriteProgress) => void;

/** Counts written events; tells the listener at most every `everyMs` (and always when the total is reached). */
export function progressTracker(total: number, listener?: ProgressListener, everyMs = 250): (written: number) => WriteProgress {
  const started = performance.now();
  let events = 0;
  let lastReport = -Infinity;
  return (written) => {
    events += written;
    const now = performance.now();
    const elapsedMs = now - started;
    const progress = { events, total, elapsedMs, eventsPerSecond: elapsedMs > 0 ? (events * 1000) / elapsedMs : 0 };
    if (listener && (now - lastReport >= everyMs || events >= total)) {
      lastReport = now;
      listener(progress);
    }
    return progress;
  };
}

/** One terminal line, rewritten in place: "  412,000 / 1,000,000 events  41%  118,300 ev/s". */
export function formatProgress(p: WriteProgress): string {
  const pct = p.total > 0 ? Math.floor((p.events * 100) / p.total) : 100;
  return `${p.events.toLocaleString('en-US').padStart(12)} / ${p.total.toLocaleString('en-US')} events  ${String(pct).padStart(3)}%  ${Math.round(p.eventsPerSecond).toLocaleString('en-US')} ev/s`;
}
