// The user's layout and look: pane sizes, the sidebar's state and the theme, remembered in localStorage (per
// browser profile, like Wireshark's recent file). Values read back are checked: a stale or hand-edited entry
// falls back to the default instead of breaking the layout.

import { readPreference, writePreference } from './preferences.js';

const KEY = 'stompscope.layout.v1';

export type Theme = 'system' | 'light' | 'dark';

interface Saved {
  sidebarWidth: number;
  sidebarCollapsed: boolean;
  listHeight: number;
  bytesHeight: number;
  theme: Theme;
}

/** listHeight and bytesHeight 0: not chosen yet, a share of the window's height (App.svelte). */
export const DEFAULTS: Saved = { sidebarWidth: 272, sidebarCollapsed: false, listHeight: 0, bytesHeight: 0, theme: 'system' };
export const LIMITS = { sidebarWidth: [180, 520], listHeight: [80, 4000], bytesHeight: [48, 4000] } as const;

function load(): Saved {
  const out = { ...DEFAULTS };
  const raw = readPreference(KEY) as Partial<Record<keyof Saved, unknown>>;
  for (const k of ['sidebarWidth', 'listHeight', 'bytesHeight'] as const) {
    const v = raw[k];
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = v === 0 && k !== 'sidebarWidth' ? 0 : clamp(v, LIMITS[k][0], LIMITS[k][1]);
  }
  if (typeof raw.sidebarCollapsed === 'boolean') out.sidebarCollapsed = raw.sidebarCollapsed;
  if (raw.theme === 'light' || raw.theme === 'dark' || raw.theme === 'system') out.theme = raw.theme;
  return out;
}

export function clamp(v: number, min: number, max: number): number {
  return Math.round(Math.min(Math.max(v, min), Math.max(min, max)));
}

export class LayoutState {
  sidebarWidth = $state(DEFAULTS.sidebarWidth);
  sidebarCollapsed = $state(DEFAULTS.sidebarCollapsed);
  listHeight = $state(DEFAULTS.listHeight);
  bytesHeight = $state(DEFAULTS.bytesHeight);
  theme = $state<Theme>(DEFAULTS.theme);

  constructor() {
    const s = load();
    this.sidebarWidth = s.sidebarWidth;
    this.sidebarCollapsed = s.sidebarCollapsed;
    this.listHeight = s.listHeight;
    this.bytesHeight = s.bytesHeight;
    this.theme = s.theme;
    this.applyTheme();
  }

  save(): void {
    const s: Saved = {
      sidebarWidth: this.sidebarWidth, sidebarCollapsed: this.sidebarCollapsed, listHeight: this.listHeight, bytesHeight: this.bytesHeight,
      theme: this.theme,
    };
    writePreference(KEY, s);
  }

  toggleSidebar(): void {
    this.sidebarCollapsed = !this.sidebarCollapsed;
    this.save();
  }

  /** System → light → dark → system: the toggle's order. */
  cycleTheme(): void {
    this.theme = this.theme === 'system' ? 'light' : this.theme === 'light' ? 'dark' : 'system';
    this.applyTheme();
    this.save();
  }

  /** "system" leaves <html> without data-theme, so tokens.css follows prefers-color-scheme. */
  applyTheme(): void {
    if (typeof document === 'undefined') return;
    if (this.theme === 'system') delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = this.theme;
  }
}
