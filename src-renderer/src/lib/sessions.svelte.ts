import type { ApiClient, SessionSummaryDto, FrameRowDto } from '../../../shared/api.js';

/** Sessions and the frames of the selected one. Components read this state; only this class calls the API. */
export class SessionsState {
  sessions = $state.raw<SessionSummaryDto[]>([]);
  selected = $state<number | null>(null);
  frames = $state.raw<FrameRowDto[]>([]);
  error = $state<string | null>(null);

  constructor(private readonly api: ApiClient) {}

  async refresh(): Promise<void> {
    try {
      this.sessions = await this.api.invoke('sessions.list', {});
      this.error = null;
    } catch (e) {
      this.error = (e as Error).message;
    }
  }

  async select(session: number): Promise<void> {
    this.selected = session;
    try {
      this.frames = await this.api.invoke('frames.page', { session, after: 0, limit: 500 });
    } catch (e) {
      this.error = (e as Error).message;
    }
  }
}
