import { afterEach, describe, expect, it } from 'vitest';
import { formatTimestamp, formatTimeValue, isoWithOffset, parseTimeInput, setDisplayZone } from '../../../src-renderer/src/ui/time';

afterEach(() => setDisplayZone('local'));

describe('times shown and typed', () => {
  it('shows UTC with its zone and ISO with offset', () => {
    setDisplayZone('utc');
    expect(formatTimestamp('2026-01-31T14:05:09.120Z')).toBe('2026-01-31 14:05:09 UTC');
    expect(isoWithOffset('2026-01-31T14:05:09.120Z')).toBe('2026-01-31T14:05:09.120+00:00');
  });

  it('reads typed 24-hour times in the display zone, and refuses impossible ones', () => {
    expect(parseTimeInput('2026-01-31 14:05:09', 'utc')).toBe('2026-01-31T14:05:09.000Z');
    expect(parseTimeInput('2026-01-31 14:05', 'utc')).toBe('2026-01-31T14:05:00.000Z');
    expect(parseTimeInput('2026-01-31', 'utc')).toBe('2026-01-31T00:00:00.000Z');
    expect(parseTimeInput('2026-01-31T15:05:09+01:00', 'local')).toBe('2026-01-31T14:05:09.000Z');
    expect(parseTimeInput('2026-02-31 10:00', 'utc')).toBeUndefined();
    expect(parseTimeInput('2026-01-31 25:00', 'utc')).toBeUndefined();
    expect(parseTimeInput('31/01/2026 2:05 PM', 'utc')).toBeUndefined();
  });

  it('round-trips a local time through the input format', () => {
    const iso = '2026-07-04T09:08:07.000Z';
    expect(parseTimeInput(formatTimeValue(iso, 'local'), 'local')).toBe(iso);
    expect(formatTimestamp(iso, 'local')).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC[+-]\d{2}:\d{2}$/);
  });
});
