import type { Query, QueryInput } from '../../app/routes';
import { worstPartition } from '../../../../src-shared/kafka-lag-series';
import type { LagPoint, LagStatus } from '../../../../src-shared/schemas/kafka';
import type { Tone } from '../../ui/Badge';
import { formatClock } from '../../ui/time';

export const RANGES = [
  { value: '15m', label: '15 min', ms: 15 * 60_000 },
  { value: '1h', label: '1 hour', ms: 3_600_000 },
  { value: '6h', label: '6 hours', ms: 6 * 3_600_000 },
  { value: '24h', label: '24 hours', ms: 86_400_000 },
  { value: '7d', label: '7 days', ms: 7 * 86_400_000 },
] as const;
export type RangeName = (typeof RANGES)[number]['value'];

/** The Kafka screen's address: `#/kafka?c=<connection>&g=<group>&range=1h`. */
export interface KafkaView {
  connectionId?: string;
  groupId?: string;
  /** The topic browser: topic, partition and where to start (an offset, or a time as ISO). */
  topic?: string;
  partition?: number;
  from?: string;
  range: RangeName;
  /** The store-to-read-model line: the event store's connection and the projection's checkpoint name. */
  storeConnectionId?: string;
  projection?: string;
}

export function viewFromQuery(query: Query): KafkaView {
  const range = RANGES.find((r) => r.value === query.range)?.value ?? '1h';
  const partition = query.p !== undefined && /^\d+$/.test(query.p) ? Number(query.p) : undefined;
  return {
    ...(query.c ? { connectionId: query.c } : {}),
    ...(query.g ? { groupId: query.g } : {}),
    ...(query.t ? { topic: query.t } : {}),
    ...(partition !== undefined ? { partition } : {}),
    ...(query.from ? { from: query.from } : {}),
    ...(query.store ? { storeConnectionId: query.store } : {}),
    ...(query.projection !== undefined ? { projection: query.projection } : {}),
    range,
  };
}

export const viewToQuery = (view: KafkaView): QueryInput => ({
  c: view.connectionId,
  g: view.groupId,
  t: view.topic,
  p: view.partition,
  from: view.from,
  range: view.range === '1h' ? undefined : view.range,
  store: view.storeConnectionId,
  projection: view.projection,
});

export const STATUS_TONES: Record<LagStatus, Tone> = { OK: 'success', WARN: 'warning', ERR: 'danger', STOP: 'danger', STALL: 'danger', REWIND: 'danger' };
export const STATUS_COLORS: Record<LagStatus, string> = {
  OK: '#17803a',
  WARN: '#c26a00',
  ERR: '#8e44ad',
  STOP: '#c0282d',
  STALL: '#a61b1b',
  REWIND: '#1f5fbf',
};
export const SERIES_COLORS = ['#1f5fbf', '#17803a', '#c26a00', '#8e44ad', '#c0282d', '#138d90', '#7a6a00', '#d4569c', '#8a94a3'];

export interface ChartRow {
  at: number;
  status: LagStatus;
  [series: string]: number | string;
}

/**
 * One row per sample: `m:<key>` messages per partition (stacked, they make the
 * total), `s:<key>` seconds per partition and `worst` the worst partition's
 * seconds (`worstPartition` names it). Seconds are left out where unknown, so
 * a line breaks there rather than dropping to zero.
 */
export function chartRows(points: readonly LagPoint[], partitions: readonly string[]): ChartRow[] {
  return points.map((point) => {
    const row: ChartRow = { at: Date.parse(point.at), status: point.status };
    for (const key of partitions) {
      const value = point.partitions[key];
      row[`m:${key}`] = value?.lag ?? 0;
      if (value?.seconds !== undefined) row[`s:${key}`] = value.seconds;
    }
    const worst = point.worst ?? worstPartition(point.partitions);
    if (worst) {
      row.worst = worst.seconds;
      row.worstPartition = worst.partition;
    }
    return row;
  });
}

/** Runs of equal status, for the timeline under the charts. */
export function statusRuns(rows: readonly ChartRow[]): { from: number; to: number; status: LagStatus }[] {
  const runs: { from: number; to: number; status: LagStatus }[] = [];
  for (const row of rows) {
    const last = runs[runs.length - 1];
    if (last && last.status === row.status) last.to = row.at;
    else {
      if (last) last.to = row.at;
      runs.push({ from: row.at, to: row.at, status: row.status });
    }
  }
  return runs;
}

export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined) return '—';
  if (seconds < 120) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function formatCount(n: number | undefined): string {
  return n === undefined ? '—' : n.toLocaleString('en-US');
}

/** `14:05:09` in the display zone (Settings). */
export function timeOf(ms: number): string {
  return formatClock(new Date(ms).toISOString());
}
