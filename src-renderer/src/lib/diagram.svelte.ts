import type { ApiClient, ConnectionDto, HeartbeatDto } from '../../../shared/api.js';
import { buildDiagram, DEFAULT_LAYOUT, diagramToSvg, type DiagramModel } from '../../../shared/diagram/model.js';
import type { FramesState } from './frames.svelte.js';

/** The sequence diagram of the frames in the list's query, built only for the rows on screen. */
export class DiagramState {
  model = $state.raw<DiagramModel | null>(null);
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
    if (rows.length && this.session !== null) {
      if (rows.some((r) => !this.connections.some((c) => c.connection === r.connection))) {
        this.connections = await this.api.invoke('connections.list', { session: this.session });
      }
      hbs = await this.api.invoke('heartbeats.range', { session: this.session, from: rows[0].t, to: rows[rows.length - 1].t });
    }
    if (gen !== this.gen) return;
    this.model = buildDiagram(this.connections, rows, first, total, hbs, this.frames.t0 || rows[0]?.t || 0, layout);
  }

  setZoom(z: number): void {
    this.zoom = Math.max(0.5, Math.min(2, z));
    void this.build();
  }

  svg(): string {
    return this.model ? diagramToSvg(this.model, { ...DEFAULT_LAYOUT, rowHeight: this.rowHeight }) : '';
  }
}
