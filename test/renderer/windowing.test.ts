// Virtual list arithmetic: which rows to draw, where, and how the scroll range maps onto a million rows.
import { describe, expect, it } from 'vitest';
import { atBottom, contentHeight, ensureVisible, MAX_SCROLL_HEIGHT, scrollTopFor, windowFor } from '../../src-renderer/src/lib/windowing.js';

describe('virtual list windowing', () => {
  it('draws only the rows in view, plus overscan, at their place', () => {
    const w = windowFor(220, 440, 1000, 22, 5);
    expect(w).toEqual({ start: 5, end: 36, top: 110, height: 22_000 });
    expect(windowFor(0, 440, 1000, 22, 5)).toMatchObject({ start: 0, top: 0 });
    expect(windowFor(0, 440, 0, 22)).toEqual({ start: 0, end: 0, top: 0, height: 0 });
    expect(windowFor(0, 440, 3, 22)).toMatchObject({ start: 0, end: 3 });
  });

  it('keeps a partly scrolled row partly visible', () => {
    const w = windowFor(233, 440, 1000, 22, 0);
    expect(w.start).toBe(10);
    expect(w.top).toBe(220);
  });

  it('scales the scroll range of a million rows and still reaches the last one', () => {
    const total = 1_000_000;
    const h = contentHeight(total, 22);
    expect(h).toBe(MAX_SCROLL_HEIGHT);
    const end = windowFor(h - 500, 500, total, 22, 0);
    expect(end.end).toBe(total);
    // The last row's bottom is the viewport's bottom.
    expect(end.top + (total - 1 - end.start) * 22 + 22).toBeCloseTo(h, 5);
    const mid = windowFor((h - 500) / 2, 500, total, 22, 0);
    expect(mid.start).toBeGreaterThan(total / 2 - 50);
    expect(mid.start).toBeLessThan(total / 2 + 50);
    expect(windowFor(scrollTopFor(765_432, 500, total, 22), 500, total, 22, 0).start).toBe(765_432);
  });

  it('scrolls as little as possible to show a selected row', () => {
    expect(ensureVisible(0, 5, 440, 1000, 22)).toBe(0);
    expect(ensureVisible(0, 30, 440, 1000, 22)).toBe(31 * 22 - 440);
    expect(ensureVisible(1000, 2, 440, 1000, 22)).toBe(44);
  });

  it('knows when the list is at its end (to follow new frames)', () => {
    expect(atBottom(22_000 - 440, 440, 1000, 22)).toBe(true);
    expect(atBottom(10_000, 440, 1000, 22)).toBe(false);
    expect(atBottom(0, 440, 3, 22)).toBe(true);
  });
});
