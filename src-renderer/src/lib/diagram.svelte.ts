import type { ApiClient, ConnectionDto, HeartbeatDto, LinkDto } from '../../../shared/api/index.js';
import { buildDiagram, DEFAULT_LAYOUT, diagramConnectors, MAX_EXPORT_FRAMES, type Connector, type DiagramModel } from '../../../shared/diagram/model.js';
import type { FramesState } from './frames.svelte.js';

/** The sequence diagram of the frames in the list's query, built only for the rows on screen. */
export class DiagramState {
  model = $state.raw<DiagramModel | null>(null);
  /** Correlation links among the arrows on screen (receipt, ack, connect, …), drawn as brackets. */
  connectors = $state.raw<Connector[]>([]);
  zoom = $state(1);
  private connections: ConnectionDto[] = [];
  private session: number | null = null;
  private scrollTop = 0;
  private viewport = 600;
  private gen = 0;

  constructor(private readonly api: ApiClient, private readonly frames: FramesState) {}

  async refresh(): Promise<void> {
    const session = this.frames.session;
    if (session === null) return;
    if (session !== this.session) {
      this.session = session;
      this.connections = await this.api.invoke('connections.list', { session });
    }
    await this.build();
  }

  onScroll(scrollTop: number, viewport: number): void {
    this.scrollTop = scrollTop;
    this.viewport = viewport;
    void this.build();
  }

  get rowHeight(): number {
    return DEFAULT_LAYOUT.rowHeight * this.zoom;
  }

  private async build(): Promise<void> {
    const gen = ++this.gen;
    const total = this.frames.total;
    const layout = { ...DEFAULT_LAYOUT, rowHeight: this.rowHeight };
    const first = Math.max(0, Math.floor((this.scrollTop - layout.top) / layout.rowHeight) - 10);
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
    this.model = buildDiagram(this.connections, rows, first, total, hbs, this.frames.t0 || rows[0]?.t || 0, layout);
    this.connectors = diagramConnectors(this.model, links);
  }

  setZoom(z: number): void {
    this.zoom = Math.max(0.5, Math.min(2, z));
    void this.build();
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
