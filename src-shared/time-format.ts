/**
 * The one time format of the app, in the renderer and in files the main process writes
 * (reports): 24-hour `2026-01-31 14:05:09` in a zone the Settings name (the computer's
 * local zone or UTC), the zone always written beside it, ISO 8601 with the offset on hover.
 * Pure: the zone is always passed in.
 */
export type DisplayZone = 'local' | 'utc';

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

interface Parts {
  year: number;
  month: number;
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
  millis: number;
  /** Minutes east of UTC. */
  offset: number;
}

export function partsOf(date: Date, inZone: DisplayZone): Parts {
  if (inZone === 'utc') {
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      hours: date.getUTCHours(),
      minutes: date.getUTCMinutes(),
      seconds: date.getUTCSeconds(),
      millis: date.getUTCMilliseconds(),
      offset: 0,
    };
  }
  return {
    year: date.getFullYear(),
    month: date.getMonth() + 1,
    day: date.getDate(),
    hours: date.getHours(),
    minutes: date.getMinutes(),
    seconds: date.getSeconds(),
    millis: date.getMilliseconds(),
    offset: -date.getTimezoneOffset(),
  };
}

const offsetText = (minutes: number) => `${minutes < 0 ? '-' : '+'}${pad(Math.trunc(minutes / 60))}:${pad(minutes % 60)}`;

/** The zone as shown beside a time: `UTC`, or the local offset at that instant (`UTC+01:00`). */
export function zoneLabel(date: Date, inZone: DisplayZone): string {
  return inZone === 'utc' ? 'UTC' : `UTC${offsetText(-date.getTimezoneOffset())}`;
}

/** `2026-01-31 14:05:09`, in the display zone, without the zone (for inputs and narrow cells). */
export function formatTimeValue(iso: string, inZone: DisplayZone): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const p = partsOf(date, inZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hours)}:${pad(p.minutes)}:${pad(p.seconds)}`;
}

/** `2026-01-31 14:05:09 UTC`: sortable, 24-hour, the same in every locale, with its zone. */
export function formatTimestamp(iso: string, inZone: DisplayZone): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${formatTimeValue(iso, inZone)} ${zoneLabel(date, inZone)}`;
}

/** `14:05:09` in the display zone. */
export function formatClock(iso: string, inZone: DisplayZone): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const p = partsOf(date, inZone);
  return `${pad(p.hours)}:${pad(p.minutes)}:${pad(p.seconds)}`;
}

/** ISO 8601 with the display zone's offset, e.g. `2026-01-31T14:05:09.120+01:00` (shown on hover). */
export function isoWithOffset(iso: string, inZone: DisplayZone): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const p = partsOf(date, inZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hours)}:${pad(p.minutes)}:${pad(p.seconds)}.${pad(p.millis, 3)}${offsetText(p.offset)}`;
}

const TYPED = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/;
const WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The placeholder of every date input. */
export const TIME_INPUT_FORMAT = 'YYYY-MM-DD HH:mm:ss';

/**
 * A typed time to ISO (UTC): `YYYY-MM-DD[ HH:mm[:ss[.SSS]]]` read in the display zone,
 * or a full ISO time with its own zone. Undefined when it is not a real instant.
 */
export function parseTimeInput(text: string, inZone: DisplayZone): string | undefined {
  const value = text.trim();
  if (WITH_ZONE.test(value)) {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
  const m = TYPED.exec(value);
  if (!m) return undefined;
  const [year, month, day, hours = 0, minutes = 0, seconds = 0] = m.slice(1, 7).map((part) => (part === undefined ? undefined : Number(part))) as number[];
  const millis = m[7] ? Number(m[7].padEnd(3, '0')) : 0;
  if (month! < 1 || month! > 12 || day! < 1 || day! > 31 || hours! > 23 || minutes! > 59 || seconds! > 59) return undefined;
  const date =
    inZone === 'utc'
      ? new Date(Date.UTC(year!, month! - 1, day!, hours, minutes, seconds, millis))
      : new Date(year!, month! - 1, day!, hours, minutes, seconds, millis);
  // 2026-02-31 rolls over into March: not a date anyone meant.
  const back = partsOf(date, inZone);
  if (back.day !== day || back.month !== month) return undefined;
  return date.toISOString();
}
