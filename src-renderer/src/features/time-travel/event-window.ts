/**
 * The event list shows a window of the stream around the selected version, read
 * again only when the selection leaves its middle: a million-event stream slides
 * as smoothly as a short one.
 */
export const WINDOW_BLOCK = 250;
export const WINDOW_SIZE = 3 * WINDOW_BLOCK;

/** First version of the window that keeps `selected` away from its edges. */
export function windowStart(first: number, selected: number): number {
  const block = Math.floor((selected - first) / WINDOW_BLOCK);
  return first + Math.max(0, block - 1) * WINDOW_BLOCK;
}
