import { timeTicks } from './chart-ticks';
import { formatClock, zoneLabel, zoneOffsetMs } from './time';

/** A chart's time axis from `from` to `to` (ms): round ticks in the display zone, clock labels, and the zone written at its end. */
export function timeAxisProps(from: number, to: number, maxSteps: number, labelOffset = -2) {
  return {
    dataKey: 'at',
    type: 'number' as const,
    scale: 'time' as const,
    domain: [from, to] as [number, number],
    ticks: timeTicks(from, to, maxSteps, zoneOffsetMs(new Date(to))),
    tickFormatter: (ms: number) => formatClock(new Date(ms).toISOString()),
    tick: { fontSize: 11 },
    label: { value: zoneLabel(new Date(to)), position: 'insideBottomRight' as const, offset: labelOffset, fontSize: 11 },
  };
}
