/**
 * Chart axes at round steps: a duration axis (lag) ticks at 0, 30 s, 1 min, 1 min 30 s… and a
 * time axis at whole minutes or hours. Ticks are multiples of one round step, so their labels
 * (two largest units) are exact and never repeat.
 */

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
const D = 24 * H;

/** Round steps, smallest first: 1/2/5/10/15/30 s, 1/2/5/10/15/30 min, 1/2/3/6/12 h, 1/2/7/14/30 d. */
export const ROUND_STEPS_MS = [
  S,
  2 * S,
  5 * S,
  10 * S,
  15 * S,
  30 * S,
  MIN,
  2 * MIN,
  5 * MIN,
  10 * MIN,
  15 * MIN,
  30 * MIN,
  H,
  2 * H,
  3 * H,
  6 * H,
  12 * H,
  D,
  2 * D,
  7 * D,
  14 * D,
  30 * D,
];

/** The smallest round step that covers `spanMs` in at most `maxSteps` steps. */
export function roundStep(spanMs: number, maxSteps: number): number {
  const span = Math.max(0, spanMs);
  const fit = ROUND_STEPS_MS.find((step) => span / step <= maxSteps);
  if (fit !== undefined) return fit;
  // Beyond the list (years): whole multiples of the largest step.
  const largest = ROUND_STEPS_MS[ROUND_STEPS_MS.length - 1]!;
  return Math.ceil(span / maxSteps / largest) * largest;
}

/** Ticks from 0 up to the first round multiple at or above `maxMs` (at least one step above 0). */
export function durationTicks(maxMs: number, maxSteps = 5): number[] {
  const step = roundStep(maxMs, maxSteps);
  const count = Math.max(1, Math.ceil(Math.max(0, maxMs) / step));
  return Array.from({ length: count + 1 }, (_, i) => i * step);
}

const UNITS: [number, string][] = [
  [D, 'd'],
  [H, 'h'],
  [MIN, 'min'],
  [S, 's'],
];

/** A tick's duration in its two largest units: "0 s", "30 s", "1 min 30 s", "2 h 30 min". Exact for round-step ticks. */
export function formatDurationTick(ms: number): string {
  if (ms <= 0) return '0 s';
  if (ms < S) return `${Math.round(ms)} ms`;
  const parts: string[] = [];
  let rest = Math.round(ms / S) * S;
  for (const [size, label] of UNITS) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)} ${label}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/**
 * Time ticks at round steps inside [fromMs, toMs]. `offsetMs` is the display zone's offset from
 * UTC, so that 6-hour ticks fall on 00:00, 06:00… of the zone shown rather than of UTC.
 */
export function timeTicks(fromMs: number, toMs: number, maxSteps = 6, offsetMs = 0): number[] {
  if (!(toMs > fromMs)) return [fromMs];
  const step = roundStep(toMs - fromMs, maxSteps);
  const ticks: number[] = [];
  for (let at = Math.ceil((fromMs + offsetMs) / step) * step - offsetMs; at <= toMs; at += step) ticks.push(at);
  return ticks;
}
