import { formatTimestamp, isoWithOffset } from './time';

/** A time as every table shows it: 24-hour, in the display zone with the zone written, ISO with offset on hover. */
export function Time({ iso, className }: { iso: string; className?: string }) {
  return (
    <time dateTime={iso} title={isoWithOffset(iso)} className={className}>
      {formatTimestamp(iso)}
    </time>
  );
}
