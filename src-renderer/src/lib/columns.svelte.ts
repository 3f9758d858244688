// The frame list's columns: which are shown, their widths, the sort, header columns added with "Apply as column",
// and the time format. Remembered per user (localStorage), like Wireshark's column preferences.
import type { FrameRowDto, SortDto } from '../../../shared/api/index.js';
import { readPreference, writePreference } from './preferences.js';

export type BuiltinColumn = 'no' | 'time' | 'conn' | 'dir' | 'command' | 'destination' | 'ref' | 'size' | 'info';
/** A built-in column, or `h:NAME` for the value of header NAME. */
export type ColumnId = BuiltinColumn | `h:${string}`;
export type TimeFormat = 'relative' | 'absolute' | 'delta' | 'reference';

export interface ColumnDef {
  id: ColumnId;
  label: string;
  /** The core's sort for this column, if it sorts. */
  sort?: SortDto['column'];
  /** Default width in px (the Info column takes what is left, at least this). */
  width: number;
}

export const BUILTIN: ColumnDef[] = [
  { id: 'no', label: 'No.', sort: 'no', width: 60 },
  { id: 'time', label: 'Time', sort: 'time', width: 104 },
  { id: 'conn', label: 'Conn', sort: 'conn', width: 48 },
  { id: 'dir', label: 'Dir', sort: 'from', width: 24 },
  { id: 'command', label: 'Command', sort: 'command', width: 96 },
  { id: 'destination', label: 'Destination', sort: 'destination', width: 160 },
  { id: 'ref', label: 'Sub / id / receipt', width: 120 },
  { id: 'size', label: 'Size', sort: 'size', width: 56 },
  { id: 'info', label: 'Info', width: 200 },
];

export const TIME_FORMATS: Array<{ id: TimeFormat; label: string }> = [
  { id: 'relative', label: 'Seconds since the first frame' },
  { id: 'absolute', label: 'Time of day (UTC)' },
  { id: 'delta', label: 'Delta from the previous displayed frame' },
  { id: 'reference', label: 'Delta from the time reference (Ctrl+T)' },
];

export const MIN_WIDTH = 24;
const SHRINK_TO = 64;
const SHRINKS = (id: ColumnId) => id === 'destination' || id === 'ref' || id.startsWith('h:');
const KEY = 'stompscope.columns.v1';

interface Saved {
  hidden: string[];
  widths: Record<string, number>;
  headers: string[];
  sort: { id: ColumnId; desc: boolean } | null;
  time: TimeFormat;
}


export class ColumnsState {
  hidden = $state<string[]>([]);
  widths = $state<Record<string, number>>({});
  /** Header columns, in the order added. */
  headers = $state<string[]>([]);
  sort = $state<{ id: ColumnId; desc: boolean } | null>(null);
  time = $state<TimeFormat>('relative');
  private listeners = new Set<(what: 'sort' | 'headers' | 'layout') => void>();

  constructor() {
    this.load();
  }

  private load(): void {
    const s = readPreference(KEY) as Partial<Saved>;
    if (Array.isArray(s.hidden)) this.hidden = s.hidden.filter((x) => typeof x === 'string');
    if (s.widths && typeof s.widths === 'object') this.widths = Object.fromEntries(Object.entries(s.widths).filter(([, w]) => typeof w === 'number' && w >= MIN_WIDTH));
    if (Array.isArray(s.headers)) this.headers = s.headers.filter((x) => typeof x === 'string' && x.length > 0 && x.length <= 200).slice(0, 16);
    if (s.sort && typeof s.sort.id === 'string') this.sort = { id: s.sort.id, desc: !!s.sort.desc };
    if (TIME_FORMATS.some((t) => t.id === s.time)) this.time = s.time!;
  }

  private save(): void {
    const s: Saved = { hidden: this.hidden, widths: this.widths, headers: this.headers, sort: this.sort, time: this.time };
    writePreference(KEY, s);
  }

  onChange(f: (what: 'sort' | 'headers' | 'layout') => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  private changed(what: 'sort' | 'headers' | 'layout'): void {
    this.save();
    for (const f of this.listeners) f(what);
  }

  /** Every column, built-in then header columns (shown or not). */
  get all(): ColumnDef[] {
    return [...BUILTIN, ...this.headers.map((h): ColumnDef => ({ id: `h:${h}`, label: h, sort: 'header', width: 120 }))];
  }

  get visible(): ColumnDef[] {
    return this.all.filter((c) => !this.hidden.includes(c.id));
  }

  widthOf(c: ColumnDef): number {
    return this.widths[c.id] ?? c.width;
  }

  /**
   * The grid template of a row: the Info column (or the last one) takes the rest and never less than its width;
   * Destination, the reference and header columns give way first on a narrow window (down to SHRINK_TO), the
   * others keep their width (a cut time or number reads wrong).
   */
  get template(): string {
    const cols = this.visible;
    const flex = cols.some((c) => c.id === 'info') ? 'info' : cols[cols.length - 1]?.id;
    return cols.map((c) => {
      const w = this.widthOf(c);
      if (c.id === flex) return `minmax(${w}px, 1fr)`;
      return SHRINKS(c.id) && w > SHRINK_TO ? `minmax(${SHRINK_TO}px, ${w}px)` : `${w}px`;
    }).join(' ');
  }

  setWidth(id: ColumnId, px: number): void {
    this.widths = { ...this.widths, [id]: Math.max(MIN_WIDTH, Math.min(2000, Math.round(px))) };
    this.changed('layout');
  }

  toggle(id: ColumnId): void {
    const shown = this.visible;
    // The last shown column stays: a list without columns shows nothing to click.
    if (!this.hidden.includes(id) && shown.length === 1) return;
    this.hidden = this.hidden.includes(id) ? this.hidden.filter((x) => x !== id) : [...this.hidden, id];
    this.changed('layout');
  }

  /** "Apply as column": a column with this header's value; shown again if it was hidden. */
  addHeader(name: string): void {
    const n = name.trim();
    if (!n) return;
    if (this.headers.includes(n)) {
      if (this.hidden.includes(`h:${n}`)) this.toggle(`h:${n}`);
      return;
    }
    this.headers = [...this.headers, n].slice(-16);
    this.changed('headers');
  }

  removeHeader(name: string): void {
    this.headers = this.headers.filter((h) => h !== name);
    this.hidden = this.hidden.filter((h) => h !== `h:${name}`);
    if (this.sort?.id === `h:${name}`) this.sort = null;
    this.changed('headers');
  }

  /** A click on a header: ascending, then descending, then capture order again. */
  cycleSort(id: ColumnId): void {
    const c = this.all.find((x) => x.id === id);
    if (!c?.sort) return;
    if (this.sort?.id !== id) this.sort = { id, desc: false };
    else if (!this.sort.desc) this.sort = { id, desc: true };
    else this.sort = null;
    this.changed('sort');
  }

  setSort(sort: { id: ColumnId; desc: boolean } | null): void {
    this.sort = sort;
    this.changed('sort');
  }

  /** The core's sort argument, or undefined for capture order. */
  get sortArg(): SortDto | undefined {
    const s = this.sort;
    if (!s) return undefined;
    if (s.id.startsWith('h:')) {
      const header = s.id.slice(2);
      return this.headers.includes(header) ? { column: 'header', header, desc: s.desc } : undefined;
    }
    const c = BUILTIN.find((x) => x.id === s.id);
    return c?.sort ? { column: c.sort, desc: s.desc } : undefined;
  }

  setTime(t: TimeFormat): void {
    this.time = t;
    this.changed('layout');
  }

  reset(): void {
    this.hidden = [];
    this.widths = {};
    this.headers = [];
    this.sort = null;
    this.time = 'relative';
    this.changed('headers');
    this.changed('sort');
  }
}

/** The one set of columns of this page (the list, and the detail pane's "Apply as column"). */
export const columns = new ColumnsState();

/** "Apply as column" (the detail pane's header context menu): the header's value becomes a list column. */
export function applyAsColumn(headerName: string): void {
  columns.addHeader(headerName);
}

/** Seconds with µs precision, as Wireshark shows them. */
export function seconds(us: number): string {
  const sign = us < 0 ? '-' : '';
  const a = Math.abs(Math.round(us));
  return `${sign}${Math.floor(a / 1e6)}.${String(a % 1e6).padStart(6, '0')}`;
}

/** The Time cell of a row in the chosen format. `prev`: the previous displayed frame's time; `ref`: the reference. */
export function timeCell(format: TimeFormat, row: Pick<FrameRowDto, 't' | 'time'>, t0: number, prev: number | null, ref: number | null): string {
  switch (format) {
    case 'absolute': return (row.time ?? '').slice(11, 26);
    case 'delta': return prev === null ? seconds(0) : seconds(row.t - prev);
    case 'reference': return seconds(row.t - (ref ?? t0));
    default: return seconds(row.t - (t0 || row.t));
  }
}
