/**
 * How the app shows and reads times (src-shared/time-format.ts is the format): the
 * zone the Settings name is kept here, and every helper defaults to it.
 */
import * as format from '../../../src-shared/time-format';
import type { DisplayZone } from '../../../src-shared/time-format';

export type { DisplayZone } from '../../../src-shared/time-format';
export { TIME_INPUT_FORMAT } from '../../../src-shared/time-format';

let zone: DisplayZone = 'local';

/** Set from the persisted settings; screens re-render when it changes (the shell keys them by zone). */
export function setDisplayZone(next: DisplayZone): void {
  zone = next;
}

export function displayZone(): DisplayZone {
  return zone;
}

/** The zone as shown beside a time: `UTC`, or the local offset at that instant (`UTC+01:00`). */
export const zoneLabel = (date: Date = new Date(), inZone: DisplayZone = zone): string => format.zoneLabel(date, inZone);
/** `2026-01-31 14:05:09`, without the zone (for inputs and narrow cells). */
export const formatTimeValue = (iso: string, inZone: DisplayZone = zone): string => format.formatTimeValue(iso, inZone);
/** `2026-01-31 14:05:09 UTC`: sortable, 24-hour, the same in every locale, with its zone. */
export const formatTimestamp = (iso: string, inZone: DisplayZone = zone): string => format.formatTimestamp(iso, inZone);
/** `14:05:09`. */
export const formatClock = (iso: string, inZone: DisplayZone = zone): string => format.formatClock(iso, inZone);
/** The zone's offset from UTC in ms at an instant (0 in UTC), to lay chart ticks on the zone's round hours. */
export const zoneOffsetMs = (date: Date = new Date(), inZone: DisplayZone = zone): number => (inZone === 'utc' ? 0 : -date.getTimezoneOffset() * 60_000);
/** ISO 8601 with the zone's offset, e.g. `2026-01-31T14:05:09.120+01:00` (shown on hover). */
export const isoWithOffset = (iso: string, inZone: DisplayZone = zone): string => format.isoWithOffset(iso, inZone);
/** A typed `YYYY-MM-DD[ HH:mm[:ss[.SSS]]]` (or ISO with its own zone) to ISO UTC; undefined when not a real instant. */
export const parseTimeInput = (text: string, inZone: DisplayZone = zone): string | undefined => format.parseTimeInput(text, inZone);

/** The zone by name, for column headers: `UTC`, or the computer's zone (`Europe/Berlin`). */
export function zoneName(inZone: DisplayZone = zone): string {
  if (inZone === 'utc') return 'UTC';
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
  } catch {
    return 'local time';
  }
}
