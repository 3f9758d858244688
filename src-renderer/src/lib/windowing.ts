// Virtual-list arithmetic, pure so that it is unit-tested. A million rows at 22 px would be a 22,000,000 px
// tall element, more than browsers lay out reliably; above MAX_SCROLL_HEIGHT the scroll range is scaled, so
// the scrollbar maps linearly onto the rows.

export const MAX_SCROLL_HEIGHT = 8_000_000;

export interface Window {
  /** First and one-past-last row to render (overscan included). */
  start: number;
  end: number;
  /** Top of row `start`, in the scroller's content coordinates. */
  top: number;
  /** Height of the scroll content. */
  height: number;
}

export function contentHeight(total: number, rowHeight: number): number {
  return Math.min(total * rowHeight, MAX_SCROLL_HEIGHT);
}

/** How many rows' worth of position one pixel of scrollTop is (1 unless the list is scaled). */
function ratio(total: number, rowHeight: number, viewport: number): number {
  const natural = total * rowHeight;
  const height = contentHeight(total, rowHeight);
  if (natural <= height || height <= viewport) return 1;
  return (natural - viewport) / (height - viewport);
}

export function windowFor(scrollTop: number, viewport: number, total: number, rowHeight: number, overscan = 5): Window {
  const height = contentHeight(total, rowHeight);
  if (total === 0) return { start: 0, end: 0, top: 0, height };
  const top0 = Math.max(0, Math.min(scrollTop, Math.max(0, height - viewport)));
  const pos = top0 * ratio(total, rowHeight, viewport);
  const first = Math.min(total - 1, Math.floor(pos / rowHeight));
  const start = Math.max(0, first - overscan);
  const end = Math.min(total, first + Math.ceil(viewport / rowHeight) + 1 + overscan);
  // Row `first` is drawn where it would be in an unscaled list, relative to the viewport.
  const top = top0 - (pos - first * rowHeight) - (first - start) * rowHeight;
  return { start, end, top, height };
}

/** The scrollTop that shows row `index` at the top (or, with `align: 'bottom'`, at the bottom) of the viewport. */
export function scrollTopFor(index: number, viewport: number, total: number, rowHeight: number, align: 'top' | 'bottom' = 'top'): number {
  const pos = align === 'top' ? index * rowHeight : (index + 1) * rowHeight - viewport;
  const height = contentHeight(total, rowHeight);
  return Math.max(0, Math.min(height - viewport, pos / ratio(total, rowHeight, viewport)));
}

/** The scrollTop that keeps row `index` visible with the least movement from `scrollTop`. */
export function ensureVisible(scrollTop: number, index: number, viewport: number, total: number, rowHeight: number): number {
  const w = windowFor(scrollTop, viewport, total, rowHeight, 0);
  const rowTop = w.top + (index - w.start) * rowHeight;
  if (index >= w.start && rowTop >= scrollTop && rowTop + rowHeight <= scrollTop + viewport) return scrollTop;
  return index < w.start || rowTop < scrollTop ? scrollTopFor(index, viewport, total, rowHeight, 'top') : scrollTopFor(index, viewport, total, rowHeight, 'bottom');
}

/** Whether the viewport is at (or within a row of) the end: the list then follows new rows. */
export function atBottom(scrollTop: number, viewport: number, total: number, rowHeight: number): boolean {
  return scrollTop + viewport >= contentHeight(total, rowHeight) - rowHeight;
}
