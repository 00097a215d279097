import type { CheckpointStatus } from '../../../../src-shared/schemas/checkpoints';
import type { Tone } from '../../ui/Badge';

export const STATUS_LABELS: Record<CheckpointStatus, string> = {
  'caught-up': 'Caught up',
  behind: 'Behind',
  stalled: 'Stalled',
  ahead: 'Ahead of head',
  unknown: 'Unknown',
};

export const STATUS_TONES: Record<CheckpointStatus, Tone> = {
  'caught-up': 'success',
  behind: 'warning',
  stalled: 'danger',
  ahead: 'danger',
  unknown: 'neutral',
};

/** 1234567 → "1,234,567"; estimated counts read "≈ 1,234,567". */
export function formatEvents(events: number | null, estimated = false): string {
  if (events === null) return '—';
  return `${estimated ? '≈ ' : ''}${events.toLocaleString('en-US')}`;
}

/** A duration in ms, to the two largest units: "2 min 5 s", "3 h 10 min", "850 ms". */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return ms === 0 ? '0 s' : `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  const units: [number, string][] = [
    [86_400, 'd'],
    [3_600, 'h'],
    [60, 'min'],
    [1, 's'],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [size, label] of units) {
    if (rest >= size || (parts.length === 0 && size === 1)) {
      parts.push(`${Math.floor(rest / size)} ${label}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** Time since an instant, e.g. "12 s ago". */
export function formatAgo(iso: string | null, now = Date.now()): string {
  if (!iso) return '—';
  const ms = now - Date.parse(iso);
  return Number.isNaN(ms) ? iso : `${formatDuration(Math.max(0, ms))} ago`;
}

/** The address's key of a checkpoint: `store/projector/source`. */
export function keyParam(key: { store: string; projector: string; source: string }): string {
  return JSON.stringify([key.store, key.projector, key.source]);
}

export function keyFromParam(value: string | undefined): { store: string; projector: string; source: string } | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    if (Array.isArray(parsed) && parsed.length === 3 && parsed.every((p) => typeof p === 'string')) {
      const [store, projector, source] = parsed as [string, string, string];
      return { store, projector, source };
    }
  } catch {
    // a hand-edited address names no checkpoint
  }
  return undefined;
}

/** What a layout keeps beside the position (Axon's segment, owner and gaps, Emmett's status), in one short line. */
export function describeExtras(extras: Record<string, unknown> | undefined): string {
  if (!extras) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(extras)) {
    if (value === null || value === undefined || key === 'tokenClass' || key === 'unreadablePosition') continue;
    if (Array.isArray(value))
      parts.push(`${key}: ${value.length}${value.length ? ` (${value.slice(0, 3).map(String).join(', ')}${value.length > 3 ? ', …' : ''})` : ''}`);
    else if (typeof value !== 'object') parts.push(`${key}: ${String(value)}`);
  }
  return parts.join(' · ');
}
