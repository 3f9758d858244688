import type { ApiClient } from '../../../shared/api/index.js';
import { ExpertInfoState, LinksState, StatsState } from './analysis.svelte.js';
import { ConnectionInfoState } from './connection.svelte.js';
import { ConnectionsViewState, FollowState, connectionNumber } from './conversations.svelte.js';
import { CopyCodeState } from './copy-code.svelte.js';
import { DetailState } from './detail.svelte.js';
import { DiagramState } from './diagram.svelte.js';
import { FramesState } from './frames.svelte.js';
import { ImportsState } from './imports.svelte.js';
import { LayoutState } from './layout.svelte.js';
import { CaptureState } from './capture.svelte.js';
import { ReplayState } from './replay.svelte.js';
import { ResendState } from './resend.svelte.js';
import { RulesState } from './rules.svelte.js';
import { SessionsState } from './sessions.svelte.js';

export type View = 'list' | 'diagram' | 'diff' | 'expert' | 'stats' | 'connections' | 'follow';

/** The whole UI's state, and the wiring of the core's events to it. */
export class AppState {
  readonly sessions: SessionsState;
  readonly frames: FramesState;
  readonly detail: DetailState;
  readonly diagram: DiagramState;
  readonly imports: ImportsState;
  readonly capture: CaptureState;
  readonly replay: ReplayState;
  readonly resend: ResendState;
  readonly expert: ExpertInfoState;
  readonly links: LinksState;
  readonly stats: StatsState;
  readonly copyCode: CopyCodeState;
  /** The selected frame's connection: transport and WebSocket handshake. */
  readonly connection: ConnectionInfoState;
  readonly conversations: ConnectionsViewState;
  readonly follow: FollowState;
  readonly layout = new LayoutState();
  /** Proxy rules and the intercept queue (RulesPanel, InterceptQueue). */
  readonly rules: RulesState;
  view = $state<View>('list');
  showProxyForm = $state(false);
  /** The keyboard help overlay (`?`). */
  showHelp = $state(false);
  /** The "Go to frame" dialog (Ctrl+G). */
  showGoTo = $state(false);
  goToError = $state<string | null>(null);
  /** Broker profiles detected (or chosen) on the open session's connections, for the status bar. */
  profiles = $state.raw<string[]>([]);
  /** Frames selected, oldest first, for Alt+← / Alt+→ (like a browser's history); `historyPos` is the current one. */
  history = $state.raw<number[]>([]);
  historyPos = $state(-1);
  private navigating = false;

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
    this.conversations = new ConnectionsViewState(api);
    this.follow = new FollowState(api);
    this.capture = new CaptureState(api, (session) => void this.sessions.refresh().then(() => this.openSession(session)));
    this.rules = new RulesState(api);
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
        if (e.session === this.frames.session) void this.loadProfiles(e.session);
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

  /** From the sessions sidebar's menu: a whole session as JSON lines or pcapng, whichever session is open. */
  async exportSession(session: number, format: 'jsonl' | 'pcapng'): Promise<void> {
    try {
      const { ticket, filename } = await this.api.invoke('session.export', { session, filter: '', ...(format === 'pcapng' ? { format } : {}) });
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
    this.history = [];
    this.historyPos = -1;
    void this.loadProfiles(session);
    if (this.view === 'diagram') await this.diagram.refresh();
    else if (this.view === 'expert') await this.expert.load(session);
    else if (this.view === 'stats') await this.stats.load(session);
    else if (this.view === 'connections' || this.view === 'follow') {
      // The connection followed belongs to the session before: its connections are listed instead.
      this.view = 'connections';
      await this.conversations.load(session);
    }
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
    else if (v === 'connections') await this.conversations.load(this.frames.session);
  }

  /** Follow connection: opens `connection`'s transcript (opening its session first when another one is shown). */
  async followConnection(session: number, connection: number): Promise<void> {
    if (this.frames.session !== session) await this.openSession(session);
    this.view = 'follow';
    // The connections' numbers (what `conn ==` compares) for "Show in frame list".
    if (this.conversations.session !== session) void this.conversations.load(session);
    await this.follow.open(connection);
  }

  /** From the Connections view: the frame list through `conn == N`. */
  async filterConnection(c: { connection: number; number?: number }): Promise<void> {
    this.frames.filterText = `conn == ${connectionNumber(c)}`;
    this.view = 'list';
    await this.frames.applyFilter();
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


  /** From the diagram: select the frame in the list and show its detail. */
  async selectFrameId(id: number): Promise<void> {
    await this.frames.selectId(id);
    await this.detail.load(id);
  }

  /** The broker profiles of a session's connections (distinct, in connection order). */
  async loadProfiles(session: number): Promise<void> {
    try {
      const conns = await this.api.invoke('connections.list', { session });
      if (session !== this.frames.session) return;
      this.profiles = [...new Set(conns.map((c) => c.profile).filter((p): p is string => !!p))];
    } catch {
      this.profiles = []; // the status bar then names no profile; nothing else depends on it
    }
  }

  /** Called when the selection changes: a new entry in the selection history (unless it came from back/forward). */
  recordSelection(id: number | null): void {
    if (id === null || this.navigating) return;
    if (this.history[this.historyPos] === id) return;
    const kept = this.history.slice(0, this.historyPos + 1);
    kept.push(id);
    // Bounded like a browser's: the oldest entries go first.
    this.history = kept.length > 500 ? kept.slice(kept.length - 500) : kept;
    this.historyPos = this.history.length - 1;
  }

  get canGoBack(): boolean {
    return this.historyPos > 0;
  }

  get canGoForward(): boolean {
    return this.historyPos >= 0 && this.historyPos < this.history.length - 1;
  }

  /** Alt+← (-1) and Alt+→ (+1): the previous or next selected frame. */
  async goHistory(step: -1 | 1): Promise<void> {
    const pos = this.historyPos + step;
    if (pos < 0 || pos >= this.history.length) return;
    this.historyPos = pos;
    this.navigating = true;
    try {
      await this.jumpToFrame(this.history[pos]);
    } finally {
      this.navigating = false;
    }
  }

  /**
   * The id of the frame the user calls `number` (its number within the session, the list's No.), or null when the
   * displayed frames have no such frame (there is none, or the filter hides it).
   */
  async frameIdForNumber(number: number): Promise<number | null> {
    const query = this.frames.queryId;
    if (query === null || !Number.isSafeInteger(number) || number < 1) return null;
    try {
      const found = await this.api.invoke('frames.indexOf', { query, number });
      if (!found.exact) return null;
      const [row] = await this.frames.rowsFor(found.index, found.index + 1);
      return row?.number === number ? row.id : null;
    } catch {
      return null;
    }
  }

  /** Ctrl+G: selects frame `number` of the open session; false (and goToError) when there is no such frame. */
  async goToFrame(number: number): Promise<boolean> {
    const id = await this.frameIdForNumber(number);
    if (id === null) {
      this.goToError = this.frames.applied
        ? `Frame ${number} is not among the displayed frames.`
        : `There is no frame ${number} in this session.`;
      return false;
    }
    this.goToError = null;
    this.showGoTo = false;
    this.view = 'list';
    await this.jumpToFrame(id);
    return true;
  }

  openGoTo(): void {
    if (this.frames.session === null) return;
    this.goToError = null;
    this.showGoTo = true;
  }

  /** Whether a dialog or overlay holds the keyboard (the global shortcuts then stay off). */
  get modalOpen(): boolean {
    return this.showHelp || this.showGoTo || this.showProxyForm || this.replay.isOpen || this.resend.isOpen;
  }
}
