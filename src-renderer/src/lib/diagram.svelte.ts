import type { ApiClient, ConnectionDto, HeartbeatDto, LinkDto } from '../../../shared/api/index.js';
import {
  buildDiagram, DEFAULT_LAYOUT, diagramConnectors, fitLanes, MAX_EXPORT_FRAMES, type Connector, type DiagramModel, type LaneChoice,
} from '../../../shared/diagram/model.js';
import { connectionNumber } from './conversations.svelte.js';
import type { FramesState } from './frames.svelte.js';

/** Height of the lane headers above the rows (they stay in view while the rows scroll). */
export const DIAGRAM_HEADER_PX = 40;
export const ZOOM_Y = { min: 0.5, max: 2.5 } as const;
export const ZOOM_X = { min: 1, max: 6 } as const;

/**
 * The sequence diagram of the frames in the list's query, built only for the rows on screen. Lanes share the
 * width; past what fits, the busiest connections (or the ones the user picked) get lanes and the rest share one.
 */
export class DiagramState {
  model = $state.raw<DiagramModel | null>(null);
  /** Correlation links among the arrows on screen (receipt, ack, connect, …), drawn as brackets. */
  connectors = $state.raw<Connector[]>([]);
  /** Zoom of the time axis (row height) and of the lanes' axis (lane width). */
  zoom = $state(1);
  zoomX = $state(1);
  /** The connections the user picked for lanes of their own; null: fit automatically. */
  chosen = $state.raw<LaneChoice>(null);
  /** The lanes in force (the user's, or the automatic choice when not all fit); null: every connection has one. */
  shown = $state.raw<LaneChoice>(null);
  /** How many connections get lanes at this width and zoom before the rest are collapsed. */
  capacity = $state(0);
  connections = $state.raw<ConnectionDto[]>([]);
  /** Bumped when the view must go back to its top-left corner (another session). */
  resetSeq = $state(0);
  private session: number | null = null;
  private scrollTop = 0;
  private viewport = 600;
  private width = 1000;
  private gen = 0;

  constructor(private readonly api: ApiClient, private readonly frames: FramesState) {}

  async refresh(): Promise<void> {
    const session = this.frames.session;
    if (session === null) return;
    if (session !== this.session) {
      // Another session: its lanes, and the view back at its start (the last session's scroll means nothing here).
      this.session = session;
      this.chosen = null;
      this.scrollTop = 0;
      this.resetSeq++;
      this.connections = await this.api.invoke('connections.list', { session });
    }
    await this.build();
  }

  onScroll(scrollTop: number, viewport: number, width?: number): void {
    const widthChanged = width !== undefined && Math.abs(width - this.width) > 1;
    if (scrollTop === this.scrollTop && viewport === this.viewport && !widthChanged && this.model) return;
    this.scrollTop = scrollTop;
    this.viewport = viewport;
    if (width !== undefined) this.width = width;
    void this.build();
  }

  get rowHeight(): number {
    return DEFAULT_LAYOUT.rowHeight * this.zoom;
  }

  /** The row a scroll offset shows at the top, and the offset that shows row `index` (for selection sync). */
  rowTop(index: number): number {
    return DIAGRAM_HEADER_PX + index * this.rowHeight;
  }

  private async build(): Promise<void> {
    const gen = ++this.gen;
    const total = this.frames.total;
    const fit = fitLanes(this.connections, this.width, this.zoomX, this.chosen);
    const layout = { ...DEFAULT_LAYOUT, rowHeight: this.rowHeight, laneWidth: fit.laneWidth, top: 0, bracketRoom: 150 };
    const first = Math.max(0, Math.floor(Math.max(0, this.scrollTop - DIAGRAM_HEADER_PX) / layout.rowHeight) - 10);
    const end = Math.min(total, first + Math.ceil(this.viewport / layout.rowHeight) + 20);
    const rows = await this.frames.rowsFor(first, end);
    let hbs: HeartbeatDto[] = [];
    let links: LinkDto[] = [];
    if (rows.length && this.session !== null) {
      if (rows.some((r) => !this.connections.some((c) => c.connection === r.connection))) {
        this.connections = await this.api.invoke('connections.list', { session: this.session });
      }
      hbs = await this.api.invoke('heartbeats.range', { session: this.session, from: rows[0].t, to: rows[rows.length - 1].t });
      // A core without the links (an older one) still draws the diagram.
      links = await this.api.invoke('diagram.links', { ids: rows.map((r) => r.id) }).catch(() => []);
    }
    if (gen !== this.gen) return;
    const names = new Map(this.connections.map((c) => [c.connection, `#${connectionNumber(c)}`]));
    this.shown = fit.shown;
    this.capacity = fit.capacity;
    this.model = buildDiagram(this.connections, rows, first, total, hbs, this.frames.t0 || rows[0]?.t || 0, layout, fit.shown, (c) => names.get(c) ?? `#${c}`);
    const sel = this.frames.selectedId;
    this.connectors = diagramConnectors(this.model, links, undefined, new Set(sel === null ? [] : [sel]));
  }

  /** Redraws the brackets around a new selection (its own are drawn first). */
  reselect(): void {
    void this.build();
  }

  setZoom(z: number): void {
    this.zoom = Math.max(ZOOM_Y.min, Math.min(ZOOM_Y.max, Math.round(z * 100) / 100));
    void this.build();
  }

  setZoomX(z: number): void {
    this.zoomX = Math.max(ZOOM_X.min, Math.min(ZOOM_X.max, Math.round(z * 100) / 100));
    void this.build();
  }

  /** The user's pick of lanes: null goes back to fitting automatically. */
  choose(connections: Iterable<number> | null): void {
    this.chosen = connections === null ? null : new Set(connections);
    void this.build();
  }

  toggleLane(connection: number): void {
    const now = new Set(this.shown ?? this.connections.map((c) => c.connection));
    if (now.has(connection)) now.delete(connection);
    else now.add(connection);
    this.choose(now);
  }

  /** What the last export did (capped, failed), for the toolbar. */
  exportMessage = $state<string | null>(null);
  exporting = $state(false);

  /** Whether an export of the list's query stops before its end (it is computed over MAX_EXPORT_FRAMES frames). */
  get exportCapped(): boolean {
    return this.frames.total > MAX_EXPORT_FRAMES;
  }

  /**
   * The diagram of the whole query (the session through the filter in force) as an SVG document, computed by
   * the core: the page holds only the rows on screen. Null when there is nothing to export or it failed.
   */
  async exportSvg(): Promise<string | null> {
    const query = this.frames.queryId;
    if (query === null) return null;
    this.exporting = true;
    try {
      const r = await this.api.invoke('diagram.export', { query });
      const n = (x: number) => x.toLocaleString('en-US');
      this.exportMessage = r.capped
        ? `Exported the first ${n(r.frames)} of ${n(r.total)} frames: an export stops at ${n(MAX_EXPORT_FRAMES)}. A display filter narrows it.`
        : null;
      return r.svg;
    } catch (e) {
      this.exportMessage = `Export failed: ${(e as Error).message}`;
      return null;
    } finally {
      this.exporting = false;
    }
  }
}
