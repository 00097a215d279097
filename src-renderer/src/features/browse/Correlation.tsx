import { useCallback, useRef, useState } from 'react';
import { SegmentedField } from '../../ui/inputs';
import type { StoredEvent } from '../../../../src-shared/schemas/browse';
import { useActiveConnection } from '../../app/active-connection';
import { messageOf } from '../../client/errors';
import { useOperation } from '../../client/operation-hooks';
import { streamHref } from './browse-routes';

const CORRELATION_LIMIT = 200;

function sameEvent(a: StoredEvent, b: StoredEvent): boolean {
  return a.streamId === b.streamId && a.version === b.version;
}

/** The events sharing this event's correlation id, its cause and its effects, and the causation tree drawn. */
export function CorrelationSection({ event }: { event: StoredEvent }) {
  const [view, setView] = useState<'graph' | 'list'>('graph');
  const { active } = useActiveConnection();
  const connectionId = active?.id ?? '';
  const correlation = useOperation(
    'feed.read',
    { connectionId, correlationId: event.correlationId ?? '-', limit: CORRELATION_LIMIT },
    { enabled: active !== undefined && event.correlationId !== undefined, retry: false },
  );
  const effects = useOperation(
    'feed.read',
    { connectionId, causationId: event.eventId ?? '-', limit: 100 },
    { enabled: active !== undefined && !!event.eventId, retry: false },
  );
  if (!event.correlationId && !event.eventId) return null;

  const related = correlation.data?.events ?? [];
  const cause = event.causationId ? related.find((e) => e.eventId === event.causationId) : undefined;
  const effectList = (effects.data?.events ?? []).filter((e) => !sameEvent(e, event));

  return (
    <section className="event-details__section correlation" data-testid="correlation">
      <h3 className="event-details__heading">Causation</h3>
      <div className="correlation__pair">
        <div>
          <span className="stream-summary__label">Caused by</span>
          {cause ? (
            <EventLink event={cause} testId="correlation-cause" />
          ) : (
            <div className="muted">{correlation.isPending && event.correlationId ? 'Loading…' : event.causationId ? 'A command (not an event)' : '—'}</div>
          )}
        </div>
        <div>
          <span className="stream-summary__label">Effects {effects.data ? `(${effectList.length})` : ''}</span>
          {effects.error && <div className="muted">{messageOf(effects.error)}</div>}
          {effects.data && effectList.length === 0 && <div className="muted">None</div>}
          <ul className="correlation__list">
            {effectList.map((e) => (
              <li key={`${e.streamId}@${e.version}`}>
                <EventLink event={e} testId="correlation-effect" />
              </li>
            ))}
          </ul>
        </div>
      </div>
      {event.correlationId && (
        <>
          <h3 className="event-details__heading">
            Same correlation{' '}
            {correlation.data ? `(${related.length}${correlation.data.nextAfterPosition && related.length >= CORRELATION_LIMIT ? '+' : ''})` : ''}
          </h3>
          {correlation.isPending && <div className="muted">Loading…</div>}
          {correlation.error && <div className="muted">{messageOf(correlation.error)}</div>}
          {related.length > 0 && (
            <SegmentedField
              label="Show"
              className="correlation__view"
              value={view}
              options={[
                { value: 'graph', label: 'Causation graph' },
                { value: 'list', label: 'In order of position' },
              ]}
              onChange={setView}
              testId="correlation-view"
            />
          )}
          {/* One view at a time: the same events are not listed twice. */}
          {related.length > 0 && view === 'graph' && <CausationGraph events={related} current={event} />}
          {view === 'list' && (
            <ol className="correlation__list correlation__list--ordered" data-testid="correlation-list">
              {related.map((e) => (
                <li key={`${e.streamId}@${e.version}`} className={sameEvent(e, event) ? 'correlation__current' : undefined}>
                  <EventLink event={e} testId="correlation-event" current={sameEvent(e, event)} />
                </li>
              ))}
            </ol>
          )}
        </>
      )}
    </section>
  );
}

function EventLink({ event, testId, current = false }: { event: StoredEvent; testId: string; current?: boolean }) {
  return (
    <a
      href={streamHref(event.streamId, event.version)}
      className="correlation__event"
      data-testid={testId}
      data-stream-id={event.streamId}
      data-version={event.version}
      aria-current={current || undefined}
      title={`Open ${event.streamId} at version ${event.version}`}
    >
      <span className="event-type">{event.type}</span>
      <span className="mono muted clip">
        {event.streamId}@{event.version}
      </span>
    </a>
  );
}

/** Cards fill the panel's width, effects indented under their cause, so nothing is cut at the right edge. */
const MIN_NODE_W = 160;
const CHAR_W = 6.6;
const INDENT = 22;
const NODE_H = 38;
const GAP_Y = 8;
const PAD = 8;

interface Node {
  event: StoredEvent;
  depth: number;
  row: number;
  parent: number | undefined;
}

/** Lays the correlation out as a tree: depth (cause → effect) and rows in depth-first, feed order. */
export function layoutCausation(events: readonly StoredEvent[]): Node[] {
  const byId = new Map<string, number>();
  events.forEach((e, i) => {
    if (e.eventId) byId.set(e.eventId, i);
  });
  const parentOf = (i: number): number | undefined => {
    const causation = events[i]?.causationId;
    const parent = causation !== undefined ? byId.get(causation) : undefined;
    return parent !== undefined && parent !== i ? parent : undefined;
  };
  const children = new Map<number | undefined, number[]>();
  events.forEach((_, i) => {
    const parent = parentOf(i);
    children.set(parent, [...(children.get(parent) ?? []), i]);
  });
  const nodes: Node[] = [];
  let row = 0;
  const seen = new Set<number>();
  const visit = (i: number, depth: number, parent: number | undefined) => {
    if (seen.has(i)) return;
    seen.add(i);
    const event = events[i];
    if (!event) return;
    nodes.push({ event, depth, row, parent });
    const kids = children.get(i) ?? [];
    if (kids.length === 0) row += 1;
    for (const kid of kids) visit(kid, depth + 1, i);
  };
  for (const root of children.get(undefined) ?? []) visit(root, 0, undefined);
  // Cycles (bad data) leave events unvisited: show them as roots.
  events.forEach((_, i) => visit(i, 0, undefined));
  return nodes;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The causation tree within the correlation as plain SVG, one card per row; the current event is highlighted, every card opens its event. */
export function CausationGraph({ events, current }: { events: readonly StoredEvent[]; current: StoredEvent }) {
  const nodes = layoutCausation(events);
  const [box, width] = useWidth(480);
  const rowOf = new Map(nodes.map((n, i) => [n, i]));
  const nodeOf = new Map(nodes.map((n) => [events.indexOf(n.event), n]));
  const x = (n: Node) => PAD + n.depth * INDENT;
  const y = (n: Node) => PAD + (rowOf.get(n) ?? 0) * (NODE_H + GAP_Y);
  const nodeWidth = (n: Node) => Math.max(MIN_NODE_W, width - PAD - x(n));
  const svgWidth = Math.max(width, ...nodes.map((n) => x(n) + MIN_NODE_W + PAD));
  const height = PAD * 2 + nodes.length * (NODE_H + GAP_Y) - GAP_Y;
  return (
    <div className="causation-graph" data-testid="causation-graph" ref={box}>
      <svg width={svgWidth} height={height} viewBox={`0 0 ${svgWidth} ${height}`} role="img" aria-label="Causation tree of the correlation">
        <defs>
          <marker id="causation-arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto">
            <path d="M0,0 L8,4 L0,8 z" className="causation-graph__arrow" />
          </marker>
        </defs>
        {nodes.map((n, i) => {
          if (n.parent === undefined) return null;
          const p = nodeOf.get(n.parent);
          if (!p) return null;
          const x1 = x(p) + INDENT / 2;
          const y1 = y(p) + NODE_H;
          return (
            <path
              key={`edge-${i}`}
              d={`M${x1},${y1} V${y(n) + NODE_H / 2} H${x(n)}`}
              className="causation-graph__edge"
              markerEnd="url(#causation-arrow)"
              data-testid="causation-edge"
            />
          );
        })}
        {nodes.map((n) => {
          const isCurrent = sameEvent(n.event, current);
          const chars = Math.floor((nodeWidth(n) - 16) / CHAR_W);
          return (
            <a
              key={`${n.event.streamId}@${n.event.version}`}
              href={streamHref(n.event.streamId, n.event.version)}
              data-testid="causation-node"
              data-current={isCurrent || undefined}
            >
              <title>{`${n.event.type}@${n.event.streamId} (version ${n.event.version})`}</title>
              <rect
                x={x(n)}
                y={y(n)}
                width={nodeWidth(n)}
                height={NODE_H}
                rx={4}
                className={isCurrent ? 'causation-graph__node causation-graph__node--current' : 'causation-graph__node'}
              />
              <text x={x(n) + 8} y={y(n) + 16} className="causation-graph__type">
                {truncate(n.event.type, chars)}
              </text>
              <text x={x(n) + 8} y={y(n) + 30} className="causation-graph__stream">
                @{truncate(`${n.event.streamId}@${n.event.version}`, chars - 1)}
              </text>
            </a>
          );
        })}
      </svg>
    </div>
  );
}

/** The content width of an element, followed as it resizes. */
function useWidth(initial: number): [(node: HTMLDivElement | null) => void, number] {
  const [width, setWidth] = useState(initial);
  const observer = useRef<ResizeObserver | undefined>(undefined);
  const ref = useCallback((node: HTMLDivElement | null) => {
    observer.current?.disconnect();
    if (!node) return;
    const measure = () => setWidth(Math.max(MIN_NODE_W + 2 * PAD, Math.floor(node.clientWidth - 10)));
    measure();
    observer.current = new ResizeObserver(measure);
    observer.current.observe(node);
  }, []);
  return [ref, width];
}
