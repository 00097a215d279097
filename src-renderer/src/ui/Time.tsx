import { formatTimestamp, formatTimeValue, isoWithOffset, zoneName } from './time';

/**
 * A time as the app shows it: 24-hour, in the display zone, ISO 8601 with the offset on hover.
 * `compact` leaves the zone out, for table cells whose column header names it (`Time ({zoneName()})`).
 */
export function Time({ iso, compact = false, className }: { iso: string; compact?: boolean; className?: string }) {
  return (
    <time dateTime={iso} title={isoWithOffset(iso)} className={className}>
      {compact ? formatTimeValue(iso) : formatTimestamp(iso)}
    </time>
  );
}

/** A column header naming the zone its times are in. */
export function timeHeader(label = 'Time'): string {
  return `${label} (${zoneName()})`;
}
