// The filter bar's memory, per user (localStorage): the filters applied (most recent first) and saved filters
// (a name and an expression), like Wireshark's filter history and filter buttons.

import { readPreference, writePreference } from './preferences.js';

export interface SavedFilter {
  name: string;
  filter: string;
}

const KEY = 'stompscope.filters.v1';
const MAX_HISTORY = 50;


export class FilterMemory {
  history = $state<string[]>([]);
  saved = $state<SavedFilter[]>([]);

  constructor() {
    const s = readPreference(KEY);
    if (Array.isArray(s.history)) this.history = s.history.filter((x): x is string => typeof x === 'string').slice(0, MAX_HISTORY);
    if (Array.isArray(s.saved)) {
      this.saved = s.saved.filter((x): x is SavedFilter => !!x && typeof (x as SavedFilter).name === 'string' && typeof (x as SavedFilter).filter === 'string').slice(0, 200);
    }
  }

  private store(): void {
    writePreference(KEY, { history: this.history, saved: this.saved });
  }

  /** A filter was applied: first in the history (once). */
  remember(filter: string): void {
    const f = filter.trim();
    if (!f) return;
    this.history = [f, ...this.history.filter((h) => h !== f)].slice(0, MAX_HISTORY);
    this.store();
  }

  save(name: string, filter: string): void {
    const n = name.trim() || filter.trim();
    if (!filter.trim()) return;
    this.saved = [...this.saved.filter((s) => s.name !== n), { name: n, filter: filter.trim() }];
    this.store();
  }

  remove(name: string): void {
    this.saved = this.saved.filter((s) => s.name !== name);
    this.store();
  }
}

export const filterMemory = new FilterMemory();
