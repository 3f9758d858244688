import type { ApiClient, FilterErrorDto, FrameRowDto, VocabularyDto } from '../../../shared/api/index.js';
import { filterError } from '../../../shared/filter/parser.js';
import { colouring } from './colouring.svelte.js';
import { columns } from './columns.svelte.js';
import { atBottom, ensureVisible, scrollTopFor, windowFor } from './windowing.js';

export const ROW_HEIGHT = 22;

/** "1 frame", "2 frames", and "… shown" under a display filter. */
export function framesShown(n: number, filtered: boolean): string {
  return `${n} ${n === 1 ? 'frame' : 'frames'}${filtered ? ' shown' : ''}`;
}

/** The core's answer for a query its read worker lost when it was restarted (the message survives every transport). */
function lostQuery(e: unknown): boolean {
  return /was closed when its read worker was restarted/.test((e as Error | null)?.message ?? '');
}
const BLOCK = 200;
const MAX_BLOCKS = 60;

/**
 * The frame list of one session through one display filter: the core holds the matching ids; this class holds
 * only blocks of rows near what is on screen. Also the selection, keyboard moves, and following live frames.
 */
export class FramesState {
  session = $state<number | null>(null);
  filterText = $state('');
  /** The filter in force (the last one applied without error). */
  applied = $state('');
  filterError = $state<FilterErrorDto | null>(null);
  total = $state(0);
  rows = $state.raw<FrameRowDto[]>([]);
  windowStart = $state(0);
  windowTop = $state(0);
  contentHeight = $state(0);
  selectedIndex = $state<number | null>(null);
  selectedId = $state<number | null>(null);
  /** Follow new frames (scrolled to the end); stops when the user scrolls up. */
  follow = $state(true);
  /** Frames that arrived while not following. */
  unseen = $state(0);
  /** The scrollTop the list should move to (the component applies it). */
  scrollRequest = $state<{ top: number; seq: number } | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  t0 = $state(0);
  /** The time reference (Ctrl+T): a frame id and its time. */
  timeRef = $state<{ id: number; t: number } | null>(null);
  /** Bumped when the list should take the keyboard focus (after a jump from a chip or Expert Info). */
  focusRequest = $state(0);
  /** The find bar's last answer ("not found", wrapped), for the bar to say. */
  findStatus = $state<'found' | 'wrapped' | 'not-found' | null>(null);
  /** The colour (a token) of each active rule the core was given: its `colour` answers index this. */
  private colourTokens: string[] = [];

  private query: number | null = null;
  private generation = 0;
  private blocks = new Map<number, FrameRowDto[]>();
  private scrollTop = 0;
  private viewport = 400;
  private seq = 0;

  constructor(private readonly api: ApiClient) {
    // Columns and colouring are the user's, shared by every list: a change re-reads what is on screen.
    columns.onChange((what) => {
      if (what === 'sort') void this.resort();
      else if (what === 'headers') this.refresh();
    });
    colouring.onChange(() => this.refresh());
  }

  private vocab: { session: number; v: Promise<VocabularyDto> } | null = null;

  /** The session's commands, destinations, header and issue names, for the filter's completion (read once per session). */
  vocabulary(): Promise<VocabularyDto> | null {
    const session = this.session;
    if (session === null) return null;
    if (this.vocab?.session !== session) {
      const v = this.api.invoke('session.vocabulary', { session });
      v.catch(() => {
        if (this.vocab?.v === v) this.vocab = null;
      });
      this.vocab = { session, v };
    }
    return this.vocab.v;
  }

  /** Drops the cached rows and reads the window again (colours or header columns changed). */
  refresh(): void {
    this.blocks.clear();
    void this.load();
  }

  /** The sort changed: the core orders the whole view again; the selected frame stays selected. */
  private async resort(): Promise<void> {
    if (this.session === null) return;
    const keep = this.selectedId;
    if (await this.open(this.session, this.applied) && keep !== null) await this.selectId(keep, false);
  }

  /** The colouring rule (from `colouring.rules`) of a row, or null. */
  colourOf(row: FrameRowDto): string | null {
    return row.colour === undefined || row.colour === null ? null : (this.colourTokens[row.colour] ?? null);
  }

  /** Opens a session (or re-applies the filter to it). */
  async open(session: number, filter = this.applied): Promise<boolean> {
    const gen = ++this.generation;
    this.loading = true;
    try {
      const sort = columns.sortArg;
      const { query, total } = await this.api.invoke('frames.query', sort ? { session, filter, sort } : { session, filter });
      if (gen !== this.generation) {
        void this.api.invoke('frames.close', { query });
        return false;
      }
      if (session !== this.session) this.timeRef = null;
      if (this.query !== null) void this.api.invoke('frames.close', { query: this.query }).catch(() => {});
      this.query = query;
      this.session = session;
      this.applied = filter;
      this.filterText = filter;
      this.filterError = null;
      this.error = null;
      this.blocks.clear();
      this.total = total;
      this.selectedIndex = null;
      this.selectedId = null;
      this.unseen = 0;
      this.follow = false;
      this.t0 = 0;
      this.requestScroll(0);
      await this.load();
      if (gen === this.generation && total > 0) {
        const first = await this.api.invoke('frames.page', { session, after: 0, limit: 1 });
        this.t0 = first[0]?.t ?? 0;
      }
      return true;
    } catch (e) {
      // A newer open() replaced this one (the core may have cancelled this query for it): its error is not news.
      if (gen !== this.generation) return false;
      const err = e as Error & { detail?: FilterErrorDto };
      if (err.detail) this.filterError = err.detail;
      else this.error = err.message;
      return false;
    } finally {
      if (gen === this.generation) this.loading = false;
    }
  }

  /** Checks the filter as it is typed (the same parser as the core's, so errors show at once). */
  typeFilter(text: string): void {
    this.filterText = text;
    const e = filterError(text);
    this.filterError = e ? { message: e.message, start: e.start, end: e.end } : null;
  }

  async applyFilter(): Promise<void> {
    this.typeFilter(this.filterText);
    if (this.filterError || this.session === null) return;
    await this.open(this.session, this.filterText);
  }

  async clearFilter(): Promise<void> {
    this.filterText = '';
    await this.applyFilter();
  }

  /** Called by the list on scroll and resize. */
  onScroll(scrollTop: number, viewport: number): void {
    this.scrollTop = scrollTop;
    this.viewport = viewport;
    const bottom = atBottom(scrollTop, viewport, this.total, ROW_HEIGHT);
    if (bottom && !this.follow) {
      this.follow = true;
      this.unseen = 0;
    } else if (!bottom && this.follow && !this.autoScrolling) this.follow = false;
    this.autoScrolling = false;
    void this.load();
  }

  private autoScrolling = false;

  private requestScroll(top: number): void {
    this.scrollTop = top;
    this.scrollRequest = { top, seq: ++this.seq };
  }

  /** Rows [start, end) from the cache, fetching the blocks that are missing. */
  async rowsFor(start: number, end: number): Promise<FrameRowDto[]> {
    const gen = this.generation;
    const missing: number[] = [];
    for (let b = Math.floor(start / BLOCK); b * BLOCK < end; b++) {
      const have = this.blocks.get(b);
      if (!have || (have.length < BLOCK && b * BLOCK + have.length < this.total)) missing.push(b);
    }
    if (missing.length && this.query !== null) {
      const from = missing[0] * BLOCK;
      const to = (missing[missing.length - 1] + 1) * BLOCK;
      const active = colouring.active;
      const headers = columns.headers;
      const w = await this.api.invoke('frames.window', {
        query: this.query, start: from, count: to - from,
        ...(active.filters.length ? { colours: active.filters } : {}), ...(headers.length ? { headers: [...headers] } : {}),
      });
      this.colourTokens = active.index.map((i) => colouring.rules[i].colour);
      if (gen !== this.generation) return [];
      if (w.total !== this.total) this.total = w.total;
      for (let b = from / BLOCK; b * BLOCK < to; b++) {
        const part = w.rows.slice(b * BLOCK - from, (b + 1) * BLOCK - from);
        if (part.length) this.blocks.set(b, part);
        else this.blocks.delete(b);
      }
      if (this.blocks.size > MAX_BLOCKS) {
        const keep = new Set(missing);
        for (const k of this.blocks.keys()) if (this.blocks.size > MAX_BLOCKS && !keep.has(k)) this.blocks.delete(k);
      }
    }
    const out: FrameRowDto[] = [];
    for (let i = start; i < Math.min(end, this.total); i++) {
      const r = this.blocks.get(Math.floor(i / BLOCK))?.[i % BLOCK];
      if (!r) break;
      out.push(r);
    }
    return out;
  }

  private async load(): Promise<void> {
    if (this.query === null) return;
    const w = windowFor(this.scrollTop, this.viewport, this.total, ROW_HEIGHT);
    this.contentHeight = w.height;
    try {
      const rows = await this.rowsFor(w.start, w.end);
      // A later scroll may have moved on; only the latest window is shown.
      const now = windowFor(this.scrollTop, this.viewport, this.total, ROW_HEIGHT);
      if (now.start !== w.start) return this.load();
      this.rows = rows;
      this.windowStart = w.start;
      this.windowTop = w.top;
      this.contentHeight = w.height;
    } catch (e) {
      if (lostQuery(e) && !this.reopening) return this.reopen();
      this.error = (e as Error).message;
    }
  }

  private reopening = false;

  /**
   * The core stopped the read worker that held this list's query (another read ran past its time limit): the
   * same filter is opened again, keeping the place in the list and the selection.
   */
  private async reopen(): Promise<void> {
    if (this.session === null) return;
    const gen = this.generation;
    this.reopening = true;
    try {
      const sort = columns.sortArg;
      const { query, total } = await this.api.invoke('frames.query', sort ? { session: this.session, filter: this.applied, sort } : { session: this.session, filter: this.applied });
      if (gen !== this.generation) {
        void this.api.invoke('frames.close', { query }).catch(() => {});
        return;
      }
      this.query = query;
      this.total = total;
      this.blocks.clear();
      await this.load();
    } catch (e) {
      if (gen === this.generation) this.error = (e as Error).message;
    } finally {
      this.reopening = false;
    }
  }

  /** New frames were recorded into `session`. */
  async appended(session: number): Promise<void> {
    if (session !== this.session || this.query === null) return;
    const before = this.total;
    const w = await this.api.invoke('frames.window', { query: this.query, start: this.total, count: 0 }).catch(() => null);
    if (!w || session !== this.session) return;
    // The last block was partial: drop it so it is fetched again with its new rows.
    this.blocks.delete(Math.floor(before / BLOCK));
    this.total = w.total;
    if (this.t0 === 0 && w.total > 0) this.t0 = (await this.rowsFor(0, 1))[0]?.t ?? 0;
    if (this.follow) this.jumpToLatest();
    else {
      this.unseen += w.total - before;
      await this.load();
    }
  }

  jumpToLatest(): void {
    this.follow = true;
    this.unseen = 0;
    this.autoScrolling = true;
    this.requestScroll(scrollTopFor(Math.max(0, this.total - 1), this.viewport, this.total, ROW_HEIGHT, 'bottom'));
    void this.load();
  }

  select(index: number): void {
    if (this.total === 0) return;
    const i = Math.max(0, Math.min(this.total - 1, index));
    this.selectedIndex = i;
    const top = ensureVisible(this.scrollTop, i, this.viewport, this.total, ROW_HEIGHT);
    if (top !== this.scrollTop) {
      this.follow = false;
      this.requestScroll(top);
    }
    const row = this.rowAt(i);
    if (row) this.selectedId = row.id;
    else {
      void this.load().then(() => {
        if (this.selectedIndex === i) this.selectedId = this.rowAt(i)?.id ?? null;
      });
    }
  }

  /**
   * Selects a frame by id (from the diagram, a related-frame chip, Expert Info), if the filter shows it; the list
   * then takes the keyboard focus, so that the arrows go on from there.
   */
  async selectId(id: number, focus = true): Promise<void> {
    if (this.query === null) return;
    const { index } = await this.api.invoke('frames.indexOf', { query: this.query, id });
    this.select(index);
    if (focus) this.focusRequest++;
  }

  /** Ctrl+T: the selected frame becomes the time reference (again: no reference); times show the delta from it. */
  toggleTimeReference(index = this.selectedIndex): void {
    const row = index === null ? undefined : this.rowAt(index);
    if (!row) return;
    if (this.timeRef?.id === row.id) {
      this.timeRef = null;
      if (columns.time === 'reference') columns.setTime('relative');
    } else {
      this.timeRef = { id: row.id, t: row.t };
      columns.setTime('reference');
    }
  }

  /** Find in the list (Ctrl+F): selects the next (or previous) displayed frame whose command, a header or the body has `text`. */
  async find(text: string, backwards = false): Promise<boolean> {
    if (this.query === null || !text) return false;
    const from = this.selectedIndex ?? (backwards ? this.total : -1);
    const r = await this.api.invoke('frames.find', { query: this.query, text, from, backwards });
    if (r.index === null) {
      this.findStatus = 'not-found';
      return false;
    }
    this.findStatus = r.wrapped ? 'wrapped' : 'found';
    this.select(r.index);
    return true;
  }

  rowAt(index: number): FrameRowDto | undefined {
    return this.blocks.get(Math.floor(index / BLOCK))?.[index % BLOCK];
  }

  /** Keyboard navigation: arrows, pages, Home/End. */
  key(key: string): boolean {
    const page = Math.max(1, Math.floor(this.viewport / ROW_HEIGHT) - 1);
    const cur = this.selectedIndex ?? -1;
    const moves: Record<string, number> = { ArrowDown: cur + 1, ArrowUp: cur - 1, PageDown: cur + page, PageUp: cur - page, Home: 0, End: this.total - 1 };
    if (!(key in moves)) return false;
    this.select(moves[key]);
    return true;
  }

  get queryId(): number | null {
    return this.query;
  }
}
