import type { ApiClient, ExpertInfoDto, FrameLinkDto, SessionStatsDto } from '../../../shared/api.js';

/** The Expert Info panel: the open session's issues grouped by severity and code, and which codes are unfolded. */
export class ExpertInfoState {
  info = $state.raw<ExpertInfoDto | null>(null);
  expanded = $state<Record<string, boolean>>({});
  loading = $state(false);
  error = $state<string | null>(null);
  private gen = 0;

  constructor(private readonly api: ApiClient) {}

  async load(session: number | null): Promise<void> {
    const gen = ++this.gen;
    if (session === null) {
      this.info = null;
      return;
    }
    if (this.info?.session !== session) this.expanded = {};
    this.loading = true;
    try {
      const info = await this.api.invoke('session.expertInfo', { session });
      if (gen !== this.gen) return;
      this.info = info;
      this.error = null;
    } catch (e) {
      if (gen === this.gen) this.error = (e as Error).message;
    } finally {
      if (gen === this.gen) this.loading = false;
    }
  }

  toggle(code: string): void {
    this.expanded = { ...this.expanded, [code]: !this.expanded[code] };
  }
}

/** The frames correlated with the frame shown in the detail pane ("Related frames"). */
export class LinksState {
  frameId = $state<number | null>(null);
  links = $state.raw<FrameLinkDto[]>([]);
  total = $state(0);
  error = $state<string | null>(null);
  private gen = 0;

  constructor(private readonly api: ApiClient) {}

  async load(id: number | null): Promise<void> {
    const gen = ++this.gen;
    this.frameId = id;
    if (id === null) {
      this.links = [];
      this.total = 0;
      return;
    }
    try {
      const r = await this.api.invoke('frame.links', { id });
      if (gen !== this.gen) return;
      this.links = r.links;
      this.total = r.total;
      this.error = null;
    } catch (e) {
      if (gen !== this.gen) return;
      this.links = [];
      this.total = 0;
      this.error = (e as Error).message;
    }
  }
}

/** The statistics view of the open session: rates per destination over time, latency histograms per link kind. */
export class StatsState {
  stats = $state.raw<SessionStatsDto | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  private gen = 0;

  constructor(private readonly api: ApiClient) {}

  async load(session: number | null, buckets = 60): Promise<void> {
    const gen = ++this.gen;
    if (session === null) {
      this.stats = null;
      return;
    }
    this.loading = true;
    try {
      const s = await this.api.invoke('session.stats', { session, buckets });
      if (gen !== this.gen) return;
      this.stats = s;
      this.error = null;
    } catch (e) {
      if (gen === this.gen) this.error = (e as Error).message;
    } finally {
      if (gen === this.gen) this.loading = false;
    }
  }
}
