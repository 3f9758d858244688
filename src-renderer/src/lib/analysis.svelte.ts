import type { ApiClient, ConnectionOverviewDto, ExpertInfoDto, FrameLinkDto, SessionStatsDto } from '../../../shared/api/index.js';

/**
 * A view that loads: the latest load wins (what loads superseded meanwhile return or throw is dropped), and
 * `loading` and `error` follow it.
 */
abstract class LatestLoad {
  loading = $state(false);
  error = $state<string | null>(null);
  private gen = 0;

  /** Drops whatever load is in flight (the view was cleared). */
  protected cancel(): void {
    this.gen++;
    this.loading = false;
  }

  protected async run<T>(fetch: () => Promise<T>, apply: (value: T) => void): Promise<void> {
    const gen = ++this.gen;
    this.loading = true;
    try {
      const value = await fetch();
      if (gen !== this.gen) return;
      apply(value);
      this.error = null;
    } catch (e) {
      if (gen === this.gen) this.error = (e as Error).message;
    } finally {
      if (gen === this.gen) this.loading = false;
    }
  }
}

/** The Expert Info panel: the open session's issues grouped by severity and code, and which codes are unfolded. */
export class ExpertInfoState extends LatestLoad {
  info = $state.raw<ExpertInfoDto | null>(null);
  expanded = $state<Record<string, boolean>>({});
  constructor(private readonly api: ApiClient) {
    super();
  }

  async load(session: number | null): Promise<void> {
    if (session === null) {
      this.cancel();
      this.info = null;
      return;
    }
    if (this.info?.session !== session) this.expanded = {};
    await this.run(() => this.api.invoke('session.expertInfo', { session }), (info) => (this.info = info));
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

/** The statistics view of the open session: counts, rates per destination over time, latency histograms per link kind. */
export class StatsState extends LatestLoad {
  stats = $state.raw<SessionStatsDto | null>(null);
  /** The per-connection table's rows. */
  connections = $state.raw<ConnectionOverviewDto[]>([]);
  /** Rate series the user switched off, by `destination\u0000command`. */
  hidden = $state<Record<string, boolean>>({});
  exportError = $state<string | null>(null);
  constructor(private readonly api: ApiClient) {
    super();
  }

  async load(session: number | null, buckets = 60): Promise<void> {
    if (session === null) {
      this.cancel();
      this.stats = null;
      this.connections = [];
      return;
    }
    if (this.stats?.session !== session) this.hidden = {};
    await this.run(
      () => Promise.all([this.api.invoke('session.stats', { session, buckets }), this.api.invoke('connections.overview', { session })]),
      ([stats, connections]) => {
        this.stats = stats;
        this.connections = connections;
      },
    );
  }

  static seriesKey(destination: string, command: string): string {
    return `${destination}\u0000${command}`;
  }

  toggle(destination: string, command: string): void {
    const k = StatsState.seriesKey(destination, command);
    this.hidden = { ...this.hidden, [k]: !this.hidden[k] };
  }

  isHidden(destination: string, command: string): boolean {
    return !!this.hidden[StatsState.seriesKey(destination, command)];
  }

  /** The whole session's statistics as CSV tables or an SVG of the charts, saved through the host like other exports. */
  async export(format: 'stats.csv' | 'stats.svg'): Promise<void> {
    const session = this.stats?.session;
    if (session === undefined) return;
    try {
      const { ticket, filename } = await this.api.invoke('session.export', { session, filter: '', format });
      await this.api.saveExport(ticket, filename);
      this.exportError = null;
    } catch (e) {
      this.exportError = (e as Error).message;
    }
  }
}
