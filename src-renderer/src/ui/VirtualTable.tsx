import { useVirtualizer } from '@tanstack/react-virtual';
import { Fragment, useEffect, useImperativeHandle, useRef, type CSSProperties, type Key, type ReactNode, type Ref } from 'react';
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
  const { rows, rowKey, rowHeight, measured = false, head, headClassName, renderRow, loading = false, emptyMessage, top, footer, onEndReached, endThreshold = 20, testId, handle } = props;
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
      {top}
      <div className="vtable__scroll" ref={scrollRef}>
        {loading && <div className="empty-state">Loading…</div>}
        {!loading && rows.length === 0 && emptyMessage !== null && <div className="empty-state">{emptyMessage}</div>}
        <div className="vtable__canvas" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const row = rows[item.index];
            if (row === undefined) return null;
            const translate = `translateY(${item.start}px)`;
            if (!measured) return <Fragment key={item.key}>{renderRow(row, { index: item.index, style: { height: rowHeight, transform: translate } })}</Fragment>;
            return (
              <div key={item.key} ref={virtualizer.measureElement} data-index={item.index} className="vtable__slot" style={{ transform: translate }}>
                {renderRow(row, { index: item.index, style: {} })}
              </div>
            );
          })}
        </div>
        {footer}
      </div>
    </div>
  );
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
