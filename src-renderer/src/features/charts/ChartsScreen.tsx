import { useMemo } from 'react';
import { formatTimeValue, parseTimeInput, zoneName } from '../../ui/time';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ResultOf } from '../../../../src-shared/operations';
import { useActiveConnection } from '../../app/active-connection';
import { useQueryState, type Query, type QueryInput } from '../../app/routes';
import { messageOf } from '../../client/errors';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { SegmentedField } from '../../ui/inputs';
import { Panel } from '../../ui/Panel';
import { SERIES_PALETTE, seriesColors } from '../../ui/series-colors';
import { useDebounced } from '../../ui/use-debounced';
import { streamHref } from '../browse/browse-routes';
import { StoreProblem } from '../browse/StoreProblem';
import { needsDetection } from '../browse/use-browse';
import './charts.css';

type Bucket = 'minute' | 'hour' | 'day';

const DAY_MS = 86_400_000;
const BUCKET_MS: Record<Bucket, number> = { minute: 60_000, hour: 3_600_000, day: DAY_MS };
/** More bars than this would be unreadable (and slow): ask for a larger bucket instead. */
const MAX_BUCKETS = 5000;
const TOP_TYPES = 8;
const OTHER = 'other';

const BUCKETS = [
  { value: 'minute', label: 'Minute' },
  { value: 'hour', label: 'Hour' },
  { value: 'day', label: 'Day' },
] as const;

const PRESETS: { label: string; days: number; bucket: Bucket }[] = [
  { label: 'Last 24 h', days: 1, bucket: 'hour' },
  { label: 'Last 7 days', days: 7, bucket: 'hour' },
  { label: 'Last 30 days', days: 30, bucket: 'day' },
  { label: 'Last 180 days', days: 180, bucket: 'day' },
];

/** A day input's value (`YYYY-MM-DD` in the display zone). */
function dayOf(ms: number): string {
  return formatTimeValue(new Date(ms).toISOString()).slice(0, 10);
}

/** Midnight (display zone) of a typed day; `endOfDay` gives the next midnight. */
function msOf(day: string, endOfDay = false): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day.trim())) return undefined;
  const iso = parseTimeInput(day);
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  return endOfDay ? ms + DAY_MS : ms;
}

function tickOf(iso: string, bucket: Bucket): string {
  const value = formatTimeValue(iso);
  return bucket === 'day' ? value.slice(0, 10) : value.slice(0, 16);
}

interface Row {
  at: string;
  [type: string]: number | string;
}

/**
 * One row per bucket from the first to the last event in the range (the host
 * omits empty buckets; they are drawn empty so the time axis stays true), one column per top type
 * and the rest summed as "other".
 */
export function pivotHistogram(result: ResultOf<'stats.histogram'>, fromMs: number, toMs: number, stepMs: number): { rows: Row[]; series: string[] } {
  const top = result.types.slice(0, TOP_TYPES);
  const shown = new Set(top);
  // Bucket starts are the host's (its time zone); the empty ones are laid on the same grid.
  const anchor = result.buckets.reduce((min, b) => Math.min(min, Date.parse(b.at)), Number.POSITIVE_INFINITY);
  const origin = Number.isFinite(anchor) ? anchor : fromMs;
  const first = Math.floor((fromMs - origin) / stepMs);
  const last = Math.max(first, Math.ceil((toMs - origin) / stepMs) - 1);
  const rows: Row[] = [];
  for (let k = first; k <= last && rows.length < MAX_BUCKETS; k += 1) rows.push({ at: new Date(origin + k * stepMs).toISOString() });
  let hasOther = false;
  for (const { at, type, count } of result.buckets) {
    const row = rows[Math.round((Date.parse(at) - origin) / stepMs) - first];
    if (!row) continue;
    row.at = at;
    const key = shown.has(type) ? type : OTHER;
    if (key === OTHER) hasOther = true;
    row[key] = ((row[key] as number | undefined) ?? 0) + count;
  }
  // Empty stretches before the first and after the last event are cut: the range can be wide, the data is what matters.
  const filled = (row: Row) => Object.keys(row).length > 1;
  const start = rows.findIndex(filled);
  const end = rows.length - [...rows].reverse().findIndex(filled);
  return { rows: start < 0 ? [] : rows.slice(start, end), series: hasOther ? [...top, OTHER] : top };
}

interface RectProps {
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  fill?: string;
}

/** Bars as plain rects (recharts draws paths by default). */
function BarRect({ x = 0, y = 0, width = 0, height = 0, fill }: RectProps) {
  if (width <= 0 || height <= 0) return null;
  return <rect x={x} y={y} width={width} height={height} fill={fill} className="chart-bar" />;
}

interface ChartsView {
  from: string;
  to: string;
  bucket: Bucket;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Kept in the address: `#/charts?from=YYYY-MM-DD&to=YYYY-MM-DD&bucket=…`; by default the last 180 days by day. */
function viewFromQuery(query: Query): ChartsView {
  const bucket = BUCKETS.find((option) => option.value === query.bucket)?.value ?? 'day';
  return {
    from: query.from !== undefined && DAY.test(query.from) ? query.from : dayOf(Date.now() - 180 * DAY_MS),
    to: query.to !== undefined && DAY.test(query.to) ? query.to : dayOf(Date.now()),
    bucket,
  };
}

const viewToQuery = (view: ChartsView): QueryInput => ({ from: view.from, to: view.to, bucket: view.bucket });

export function ChartsScreen() {
  const { active } = useActiveConnection();
  const [view, setView] = useQueryState(viewFromQuery, viewToQuery);
  const range = { from: view.from, to: view.to };
  const bucket = view.bucket;
  const setRange = (next: { from: string; to: string }) => setView({ ...view, ...next });
  const setRangeAndBucket = (next: { from: string; to: string }, nextBucket: Bucket) => setView({ ...next, bucket: nextBucket }, 'push');
  const settled = useDebounced(range, 400);
  const fromMs = msOf(settled.from);
  const toMs = msOf(settled.to, true);
  const valid = fromMs !== undefined && toMs !== undefined && fromMs < toMs;
  const buckets = valid ? Math.ceil((toMs - fromMs) / BUCKET_MS[bucket]) : 0;
  const tooMany = buckets > MAX_BUCKETS;

  const histogram = useOperation(
    'stats.histogram',
    { connectionId: active?.id ?? '', from: new Date(fromMs ?? 0).toISOString(), to: new Date(toMs ?? 0).toISOString(), bucket },
    { enabled: active !== undefined && valid && !tooMany, retry: false },
  );
  const largest = useOperation('stats.largestStreams', { connectionId: active?.id ?? '', limit: 15 }, { enabled: active !== undefined, retry: false });
  const first = useOperation('feed.read', { connectionId: active?.id ?? '', limit: 1 }, { enabled: active !== undefined, retry: false });
  const firstAt = first.data?.events[0]?.timestamp ?? undefined;

  const pivot = useMemo(
    () => (histogram.data && fromMs !== undefined && toMs !== undefined ? pivotHistogram(histogram.data, fromMs, toMs, BUCKET_MS[bucket]) : undefined),
    [histogram.data, fromMs, toMs, bucket],
  );
  // A type keeps its colour whatever else is in the range (a hash of its name, not its rank).
  const colors = useMemo(() => seriesColors(pivot?.series ?? [], OTHER), [pivot]);
  const total = useMemo(() => histogram.data?.buckets.reduce((sum, b) => sum + b.count, 0) ?? 0, [histogram.data]);

  if (!active || needsDetection(histogram.error) || needsDetection(largest.error)) {
    return <StoreProblem connection={active} error={histogram.error ?? largest.error} title="Could not read the store" />;
  }

  const fitToData = () => {
    if (!firstAt) return;
    const start = Date.parse(firstAt);
    const days = (Date.now() - start) / DAY_MS;
    setRangeAndBucket({ from: dayOf(start), to: dayOf(Date.now()) }, days > 3 ? 'day' : 'hour');
  };

  return (
    <div className="charts" data-testid="charts-screen">
      <div className="charts__controls" role="search">
        <div className="field">
          <label className="field__label" htmlFor="charts-from">
            From ({zoneName()})
          </label>
          <input
            id="charts-from"
            type="text"
            inputMode="numeric"
            placeholder="YYYY-MM-DD"
            title={`Days in ${zoneName()}`}
            className="input mono charts__day"
            value={range.from}
            aria-invalid={range.from !== '' && msOf(range.from) === undefined}
            data-testid="charts-from"
            onChange={(e) => setRange({ ...range, from: e.target.value })}
          />
        </div>
        <div className="field">
          <label className="field__label" htmlFor="charts-to">
            To (inclusive)
          </label>
          <input
            id="charts-to"
            type="text"
            inputMode="numeric"
            placeholder="YYYY-MM-DD"
            title={`Days in ${zoneName()}`}
            className="input mono charts__day"
            value={range.to}
            aria-invalid={range.to !== '' && msOf(range.to) === undefined}
            data-testid="charts-to"
            onChange={(e) => setRange({ ...range, to: e.target.value })}
          />
        </div>
        <SegmentedField
          label="Bucket"
          value={bucket}
          options={BUCKETS}
          onChange={(next) => setView({ ...view, bucket: next }, 'push')}
          testId="charts-bucket"
        />
        <div className="charts__presets">
          {PRESETS.map((preset) => (
            <Button
              key={preset.label}
              size="sm"
              variant="ghost"
              onClick={() => {
                setRangeAndBucket({ from: dayOf(Date.now() - preset.days * DAY_MS), to: dayOf(Date.now()) }, preset.bucket);
              }}
            >
              {preset.label}
            </Button>
          ))}
          <Button
            size="sm"
            onClick={fitToData}
            disabled={!firstAt}
            title={firstAt ? `From the first event (${firstAt.slice(0, 10)}) until today` : undefined}
            data-testid="charts-fit"
          >
            Whole store
          </Button>
        </div>
      </div>

      <Panel
        title={`Events per ${bucket}${histogram.data ? ` (${total.toLocaleString('en-US')} event${total === 1 ? '' : 's'}, ${settled.from} – ${settled.to})` : ''}`}
        className="charts__panel"
        testId="charts-histogram"
      >
        {!valid && <div className="empty-state">Pick a start day before the end day.</div>}
        {valid && tooMany && (
          <div className="empty-state">
            {buckets.toLocaleString('en-US')} {bucket} buckets is too many to draw; choose a larger bucket or a shorter range.
          </div>
        )}
        {histogram.error && (
          <Alert tone="danger" title="Could not count the events" testId="charts-error">
            {messageOf(histogram.error)}
          </Alert>
        )}
        {histogram.data?.truncated && (
          <Alert tone="warning" title="Partial counts" testId="charts-truncated">
            This store cannot group events on the server; only the first part of the range was scanned, so the counts are lower than the real ones.
          </Alert>
        )}
        {valid && !tooMany && histogram.isPending && <div className="empty-state">Counting…</div>}
        {pivot && total === 0 && (
          <div className="empty-state">
            No events between {settled.from} and {settled.to}.{' '}
            {firstAt && (
              <>
                The store starts on {firstAt.slice(0, 10)}:{' '}
                <button type="button" className="link-button" onClick={fitToData}>
                  show the whole store
                </button>
                .
              </>
            )}
          </div>
        )}
        {pivot && total > 0 && (
          <div className="charts__chart" data-testid="charts-histogram-chart" data-total={total} data-colors={JSON.stringify(Object.fromEntries(colors))}>
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={pivot.rows} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e3e6eb" />
                <XAxis dataKey="at" tickFormatter={(at: string) => tickOf(at, bucket)} tick={{ fontSize: 11 }} minTickGap={24} />
                <YAxis tick={{ fontSize: 11 }} allowDecimals={false} width={56} />
                <Tooltip labelFormatter={(at) => tickOf(String(at), bucket)} />
                <Legend wrapperStyle={{ fontSize: 12 }} />
                {pivot.series.map((type) => (
                  <Bar key={type} dataKey={type} stackId="types" fill={colors.get(type)} shape={BarRect} isAnimationActive={false} />
                ))}
              </BarChart>
            </ResponsiveContainer>
          </div>
        )}
      </Panel>

      <Panel title="Largest streams" className="charts__panel" testId="charts-largest">
        {largest.error && (
          <Alert tone="danger" title="Could not list the largest streams">
            {messageOf(largest.error)}
          </Alert>
        )}
        {largest.isPending && <div className="empty-state">Loading…</div>}
        {largest.data && largest.data.streams.length === 0 && <div className="empty-state">This store has no streams yet.</div>}
        {largest.data && largest.data.streams.length > 0 && <LargestStreams streams={largest.data.streams} />}
      </Panel>
    </div>
  );
}

type LargestStream = ResultOf<'stats.largestStreams'>['streams'][number];

/** One row per stream: the whole id (it wraps rather than being cut), its count, a bar to compare; each opens the stream. */
function LargestStreams({ streams }: { streams: LargestStream[] }) {
  const most = Math.max(1, ...streams.map((stream) => stream.eventCount));
  return (
    <ol className="largest" data-testid="charts-largest-chart">
      {streams.map((stream) => (
        <li key={stream.streamId}>
          <a
            className="largest__row"
            href={streamHref(stream.streamId)}
            title={`Open ${stream.streamId}`}
            data-testid="charts-largest-row"
            data-stream-id={stream.streamId}
          >
            <span className="largest__id mono">{stream.streamId}</span>
            <span className="largest__bar" aria-hidden="true">
              <span className="largest__fill" style={{ width: `${(stream.eventCount / most) * 100}%`, background: SERIES_PALETTE[0] }} />
            </span>
            <span className="largest__count num" data-testid="charts-largest-count">
              {stream.eventCount.toLocaleString('en-US')} event{stream.eventCount === 1 ? '' : 's'}
            </span>
          </a>
        </li>
      ))}
    </ol>
  );
}
