// The remembered layout and theme (localStorage): read back checked, so a stale or hand-edited entry gives the
// defaults instead of a broken layout; a size never chosen (0) stays "a share of the window"; the theme is put on
// <html> (data-theme) or left to the system.
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULTS, LayoutState } from '../../src-renderer/src/lib/layout.svelte.js';

const KEY = 'stompscope.layout.v1';

afterEach(() => {
  localStorage.clear();
  delete document.documentElement.dataset.theme;
});

describe('LayoutState', () => {
  it('starts from the defaults, saves what changes, and reads it back', () => {
    const a = new LayoutState();
    expect({ w: a.sidebarWidth, c: a.sidebarCollapsed, l: a.listHeight, b: a.bytesHeight, t: a.theme })
      .toEqual({ w: DEFAULTS.sidebarWidth, c: false, l: 0, b: 0, t: 'system' });
    a.listHeight = 333;
    a.toggleSidebar();
    a.cycleTheme();
    expect(document.documentElement.dataset.theme).toBe('light');
    a.cycleTheme();
    expect(document.documentElement.dataset.theme).toBe('dark');
    const b = new LayoutState();
    expect({ l: b.listHeight, b: b.bytesHeight, c: b.sidebarCollapsed, t: b.theme }).toEqual({ l: 333, b: 0, c: true, t: 'dark' });
    b.cycleTheme();
    expect(document.documentElement.dataset.theme).toBeUndefined();
  });

  it('clamps sizes out of range and ignores values of the wrong type or a broken entry', () => {
    localStorage.setItem(KEY, JSON.stringify({ sidebarWidth: 5000, listHeight: -40, bytesHeight: 'tall', sidebarCollapsed: 'yes', theme: 'neon' }));
    const a = new LayoutState();
    expect({ w: a.sidebarWidth, l: a.listHeight, b: a.bytesHeight, c: a.sidebarCollapsed, t: a.theme }).toEqual({ w: 520, l: 80, b: 0, c: false, t: 'system' });
    localStorage.setItem(KEY, '{not json');
    expect(new LayoutState().sidebarWidth).toBe(DEFAULTS.sidebarWidth);
  });
});
