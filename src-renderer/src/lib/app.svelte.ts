import type { ApiClient } from '../../../shared/api/index.js';
import { ExpertInfoState, LinksState, StatsState } from './analysis.svelte.js';
import { ConnectionInfoState } from './connection.svelte.js';
import { CopyCodeState } from './copy-code.svelte.js';
import { DetailState } from './detail.svelte.js';
import { DiagramState } from './diagram.svelte.js';
import { FramesState } from './frames.svelte.js';
import { ImportsState } from './imports.svelte.js';
import { ReplayState } from './replay.svelte.js';
import { ResendState } from './resend.svelte.js';
import { SessionsState } from './sessions.svelte.js';

export type View = 'list' | 'diagram' | 'diff' | 'expert' | 'stats';

/** The whole UI's state, and the wiring of the core's events to it. */
export class AppState {
  readonly sessions: SessionsState;
  readonly frames: FramesState;
  readonly detail: DetailState;
  readonly diagram: DiagramState;
  readonly imports: ImportsState;
  readonly replay: ReplayState;
  readonly resend: ResendState;
  readonly expert: ExpertInfoState;
  readonly links: LinksState;
  readonly stats: StatsState;
  readonly copyCode: CopyCodeState;
  /** The selected frame's connection: transport and WebSocket handshake. */
  readonly connection: ConnectionInfoState;
  view = $state<View>('list');
  showProxyForm = $state(false);

  constructor(private readonly api: ApiClient) {
    this.sessions = new SessionsState(api);
    this.frames = new FramesState(api);
    this.detail = new DetailState(api);
    this.diagram = new DiagramState(api, this.frames);
    this.replay = new ReplayState(api);
    this.resend = new ResendState(api);
    this.expert = new ExpertInfoState(api);
    this.links = new LinksState(api);
    this.stats = new StatsState(api);
    this.copyCode = new CopyCodeState(api);
    this.connection = new ConnectionInfoState(api);
    this.imports = new ImportsState(api, (session) => {
      void this.sessions.refresh().then(() => this.openSession(session));
    });
    let lastRefresh = 0;
    api.on('frames.appended', (e) => {
      this.sessions.setCount(e.session, e.frames);
      // Connection counts change too while recording: a full refresh, at most once a second.
      if (Date.now() - lastRefresh > 1000) {
        lastRefresh = Date.now();
        void this.sessions.refresh();
      }
      void this.frames.appended(e.session).then(() => {
        // Expert Info of a recording session follows it (one indexed count per code); statistics wait for Refresh.
        if (this.view === 'diagram' && e.session === this.frames.session) void this.diagram.refresh();
        else if (this.view === 'expert' && e.session === this.frames.session) void this.expert.load(e.session);
      });
    });
    // Findings that come without a frame (a peer silent past its heart-beat): the open Expert Info follows them.
    api.on('issues.appended', (e) => {
      if (this.view === 'expert' && e.session === this.frames.session) void this.expert.load(e.session);
    });
    api.on('sessions.changed', () => void this.sessions.refresh());
    api.on('ui.action', (e) => {
      if (e.action === 'start-proxy') this.showProxyForm = true;
      else if (e.action === 'export') void this.exportFrames();
    });
  }

  exportError = $state<string | null>(null);

  /**
   * Exports the open session's frames, through the filter in force, as JSON lines; or the whole session as a
   * pcapng capture (TCP/IP headers synthesized; the filter does not apply to whole connections).
   */
  async exportFrames(format: 'jsonl' | 'pcapng' = 'jsonl'): Promise<void> {
    const session = this.frames.session;
    if (session === null) {
      this.exportError = 'open a session first';
      return;
    }
    try {
      const { ticket, filename } = await this.api.invoke('session.export', format === 'pcapng'
        ? { session, filter: '', format }
        : { session, filter: this.frames.applied });
      await this.api.saveExport(ticket, filename);
      this.exportError = null;
    } catch (e) {
      this.exportError = (e as Error).message;
    }
  }

  async start(): Promise<void> {
    await this.sessions.refresh();
  }

  async openSession(session: number): Promise<void> {
    await this.frames.open(session, '');
    this.detail.detail = null;
    if (this.view === 'diagram') await this.diagram.refresh();
    else if (this.view === 'expert') await this.expert.load(session);
    else if (this.view === 'stats') await this.stats.load(session);
  }

  /** From the replay or resend dialog: close it and show the new session. */
  async openReplaySession(session: number): Promise<void> {
    this.replay.close();
    this.resend.close();
    await this.sessions.refresh();
    await this.openSession(session);
  }

  async selectFrame(index: number): Promise<void> {
    this.frames.select(index);
  }

  async setView(v: View): Promise<void> {
    this.view = v;
    if (v === 'diagram') await this.diagram.refresh();
    else if (v === 'expert') await this.expert.load(this.frames.session);
    else if (v === 'stats') await this.stats.load(this.frames.session);
  }

  /**
   * From Expert Info and "Related frames": shows a frame in the list and its detail. When the display filter
   * hides it, the filter is cleared first (the user asked for that frame, not for the nearest one shown).
   */
  async jumpToFrame(id: number): Promise<void> {
    const session = this.frames.session;
    const query = this.frames.queryId;
    if (session === null || query === null) return;
    if (this.view !== 'list' && this.view !== 'diagram') this.view = 'list';
    if (this.frames.applied) {
      const { index } = await this.api.invoke('frames.indexOf', { query, id });
      const [row] = await this.frames.rowsFor(index, index + 1);
      if (row?.id !== id) await this.frames.open(session, '');
    }
    await this.selectFrameId(id);
    if (this.view === 'diagram') await this.diagram.refresh();
  }

  /** From Expert Info: show only the frames with an issue of this code. */
  async filterIssueCode(code: string): Promise<void> {
    this.frames.filterText = `issue.code == ${JSON.stringify(code)}`;
    this.view = 'list';
    await this.frames.applyFilter();
  }

  /** "Follow connection" (context menus): the list shows that connection's frames only. */
  async followConnection(connection: number): Promise<void> {
    this.frames.filterText = `conn == ${connection}`;
    this.view = 'list';
    await this.frames.applyFilter();
  }

  /** From the diagram: select the frame in the list and show its detail. */
  async selectFrameId(id: number): Promise<void> {
    await this.frames.selectId(id);
    await this.detail.load(id);
  }
}
