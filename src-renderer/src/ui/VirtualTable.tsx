import { useVirtualizer } from '@tanstack/react-virtual';
import {
  Fragment,
  useEffect,
  useImperativeHandle,
  useLayoutEffect,
  useRef,
  useState,
  type CSSProperties,
  type Key,
  type KeyboardEvent,
  type ReactNode,
  type Ref,
} from 'react';
import { Button } from './Button';
import './virtual-table.css';

/** Where a row goes: spread `style` on the row element (fixed-height rows). */
export interface RowPlacement {
  index: number;
  style: CSSProperties;
}

/** What a screen can ask of its table beyond rendering: jumps and scroll corrections. */
export interface VirtualTableHandle {
  scrollToIndex: (index: number, align: 'start' | 'center' | 'end') => void;
  /** Moves the view by `px` (e.g. to keep rows in place when rows arrive above). */
  scrollBy: (px: number) => void;
}

interface VirtualTableProps<T> {
  rows: readonly T[];
  rowKey: (row: T, index: number) => Key;
  /** The row height; with `measured`, only the first estimate. */
  rowHeight: number;
  /** Rows that change height (e.g. expand in place) are measured instead of assumed. */
  measured?: boolean;
  /** The column headers; `headClassName` lays them out like the rows. */
  head: ReactNode;
  headClassName: string;
  renderRow: (row: T, placement: RowPlacement) => ReactNode;
  loading?: boolean;
  /** Shown when there are no rows; null shows nothing (e.g. an error explains the empty list instead). */
  emptyMessage: ReactNode | null;
  /** Above the scrolling rows, below the head (e.g. "load older"). */
  top?: ReactNode;
  /** After the last row, inside the scroll (e.g. "load more"). */
  footer?: ReactNode;
  /** Called while the last `endThreshold` rows are in view; pass it only when there is more to load. */
  onEndReached?: () => void;
  endThreshold?: number;
  testId: string;
  handle?: Ref<VirtualTableHandle>;
}

/** Only the rows in view are in the DOM, so a long list scrolls as smoothly as a short one. */
export function VirtualTable<T>(props: VirtualTableProps<T>) {
  const {
    rows,
    rowKey,
    rowHeight,
    measured = false,
    head,
    headClassName,
    renderRow,
    loading = false,
    emptyMessage,
    top,
    footer,
    onEndReached,
    endThreshold = 20,
    testId,
    handle,
  } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    getItemKey: (index) => {
      const row = rows[index];
      return row === undefined ? index : (rowKey(row, index) as string | number);
    },
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items[items.length - 1]?.index ?? -1;
  const canvasRef = useRef<HTMLDivElement>(null);
  const rovingFocus = useRovingRows(
    canvasRef,
    items.map((item) => item.index),
    rows.length,
    (index) => virtualizer.scrollToIndex(index, { align: 'auto' }),
  );

  useImperativeHandle(
    handle,
    () => ({
      scrollToIndex: (index, align) => virtualizer.scrollToIndex(index, { align }),
      scrollBy: (px) => {
        if (scrollRef.current) scrollRef.current.scrollTop += px;
      },
    }),
    [virtualizer],
  );

  useEffect(() => {
    if (onEndReached && lastIndex >= rows.length - endThreshold) onEndReached();
  }, [onEndReached, lastIndex, rows.length, endThreshold]);

  return (
    <div className="vtable" role="table" aria-rowcount={rows.length} data-testid={testId}>
      <div className={`vtable__head ${headClassName}`} role="row">
        {head}
      </div>
      {top && <TableNote>{top}</TableNote>}
      <div className="vtable__scroll" ref={scrollRef}>
        {loading && <TableNote className="empty-state">Loading…</TableNote>}
        {!loading && rows.length === 0 && emptyMessage !== null && <TableNote className="empty-state">{emptyMessage}</TableNote>}
        <div className="vtable__canvas" ref={canvasRef} style={{ height: virtualizer.getTotalSize() }} {...rovingFocus}>
          {items.map((item) => {
            const row = rows[item.index];
            if (row === undefined) return null;
            const translate = `translateY(${item.start}px)`;
            if (!measured)
              return <Fragment key={item.key}>{renderRow(row, { index: item.index, style: { height: rowHeight, transform: translate } })}</Fragment>;
            return (
              <div key={item.key} ref={virtualizer.measureElement} data-index={item.index} className="vtable__slot" style={{ transform: translate }}>
                {renderRow(row, { index: item.index, style: {} })}
              </div>
            );
          })}
        </div>
        {footer && <TableNote>{footer}</TableNote>}
      </div>
    </div>
  );
}

/** What a table shows besides its rows (loading, empty, "load more"): a row of one cell, as ARIA wants a table's children. */
function TableNote({ children, className }: { children: ReactNode; className?: string }) {
  return (
    <div role="row" className="vtable__note">
      <div role="cell" className={className ?? 'vtable__note-cell'}>
        {children}
      </div>
    </div>
  );
}

const ROW_KEYS = new Set(['ArrowDown', 'ArrowUp', 'Home', 'End', 'PageDown', 'PageUp']);
const PAGE_ROWS = 10;

/**
 * A list is one tab stop: only the active row has tabIndex 0 (the rest -1), and the
 * arrow keys, Home/End and PageUp/PageDown move between rows, scrolling the row into
 * view. Screens render their rows as they like (links, buttons, divs); the rows are
 * found in the canvas in the order of the rendered items.
 */
function useRovingRows(canvasRef: { current: HTMLDivElement | null }, rendered: number[], count: number, scrollTo: (index: number) => void) {
  const [active, setActive] = useState(0);
  const pendingFocus = useRef<number | undefined>(undefined);
  const current = Math.min(active, Math.max(0, count - 1));

  useLayoutEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    // Each rendered item's row: the item itself, or the row inside it (measured slots, rows with expandable details).
    const rowOf = (child: Element) => {
      const item = child.classList.contains('vtable__slot') ? child.firstElementChild : child;
      return (item?.matches('[role="row"]') ? item : (item?.querySelector('[role="row"]') ?? item)) as HTMLElement | null;
    };
    const elements = Array.from(canvas.children, rowOf);
    // The active row may be scrolled out of the DOM: then the first rendered row is the way in.
    const stop = rendered.includes(current) ? current : rendered[0];
    elements.forEach((element, position) => {
      if (!element) return;
      const index = rendered[position];
      element.dataset.rowIndex = String(index);
      element.tabIndex = index === stop ? 0 : -1;
      if (index === pendingFocus.current) {
        pendingFocus.current = undefined;
        element.focus({ preventScroll: true });
      }
    });
  });

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const row = event.target as HTMLElement;
    // Keys typed in a control inside a row stay with that control.
    if (!ROW_KEYS.has(event.key) || row.dataset.rowIndex === undefined || count === 0) return;
    const from = Number(row.dataset.rowIndex);
    const next = { ArrowDown: from + 1, ArrowUp: from - 1, Home: 0, End: count - 1, PageDown: from + PAGE_ROWS, PageUp: from - PAGE_ROWS }[event.key]!;
    const target = Math.max(0, Math.min(count - 1, next));
    event.preventDefault();
    setActive(target);
    pendingFocus.current = target;
    scrollTo(target);
  };
  const onFocus = (event: { target: EventTarget }) => {
    const index = (event.target as HTMLElement).dataset?.rowIndex;
    if (index !== undefined) setActive(Number(index));
  };
  return { onKeyDown, onFocus };
}

/** The usual footer: a button to load the next page, while there is one. */
export function LoadMore(props: { show: boolean; busy: boolean; onClick: () => void; label: string; testId: string; top?: boolean; size?: 'sm' | 'md' }) {
  const { show, busy, onClick, label, testId, top = false, size = 'sm' } = props;
  if (!show) return null;
  return (
    <div className={top ? 'vtable__more vtable__more--top' : 'vtable__more'}>
      <Button size={size} onClick={onClick} busy={busy} data-testid={testId}>
        {label}
      </Button>
    </div>
  );
}
