import type { ApiClient } from '../../../shared/api.js';
import { DetailState } from './detail.svelte.js';
import { DiagramState } from './diagram.svelte.js';
import { FramesState } from './frames.svelte.js';
import { ImportsState } from './imports.svelte.js';
import { ReplayState } from './replay.svelte.js';
import { ResendState } from './resend.svelte.js';
import { SessionsState } from './sessions.svelte.js';

export type View = 'list' | 'diagram' | 'diff';

/** The whole UI's state, and the wiring of the core's events to it. */
export class AppState {
  readonly sessions: SessionsState;
  readonly frames: FramesState;
  readonly detail: DetailState;
  readonly diagram: DiagramState;
  readonly imports: ImportsState;
  readonly replay: ReplayState;
  readonly resend: ResendState;
  view = $state<View>('list');
  showProxyForm = $state(false);

  constructor(private readonly api: ApiClient) {
    this.sessions = new SessionsState(api);
    this.frames = new FramesState(api);
    this.detail = new DetailState(api);
    this.diagram = new DiagramState(api, this.frames);
    this.replay = new ReplayState(api);
    this.resend = new ResendState(api);
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
        if (this.view === 'diagram' && e.session === this.frames.session) void this.diagram.refresh();
      });
    });
    api.on('sessions.changed', () => void this.sessions.refresh());
    api.on('ui.action', (e) => {
      if (e.action === 'start-proxy') this.showProxyForm = true;
      else if (e.action === 'export') void this.exportFrames();
    });
  }

  exportError = $state<string | null>(null);

  /** Exports the open session's frames, through the filter in force, as JSON lines. */
  async exportFrames(): Promise<void> {
    const session = this.frames.session;
    if (session === null) {
      this.exportError = 'open a session first';
      return;
    }
    try {
      const { ticket, filename } = await this.api.invoke('session.export', { session, filter: this.frames.applied });
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
  }

  /** From the diagram: select the frame in the list and show its detail. */
  async selectFrameId(id: number): Promise<void> {
    await this.frames.selectId(id);
    await this.detail.load(id);
  }
}
