import type { ApiClient, ConnectionDto, ConnectionOverviewDto, FollowDto, FollowEntryDto } from '../../../shared/api/index.js';

/**
 * What a connection is called in the UI and in display filters (`conn == N`): its number within its session
 * where the core gives one, else its id, the same value the filter's `conn` field compares.
 */
export function connectionNumber(c: Pick<ConnectionDto, 'connection'> & { number?: number }): number {
  return c.number ?? c.connection;
}

export type ConnectionSortKey =
  | 'connection' | 'client' | 'broker' | 'transport' | 'version' | 'heartBeat' | 'heartbeatsSeen' | 'opened' | 'closed' | 'duration'
  | 'closeReason' | 'framesClient' | 'framesBroker' | 'bytesClient' | 'bytesBroker' | 'findings';

/** The value a column sorts by (numbers numerically, text by locale; missing values last whichever the direction). */
export function sortValue(c: ConnectionOverviewDto, key: ConnectionSortKey): number | string | null {
  switch (key) {
    case 'connection': return connectionNumber(c);
    case 'client': return c.client;
    case 'broker': return c.broker;
    case 'transport': return c.transport;
    case 'version': return c.version;
    case 'heartBeat': return c.heartBeatNegotiated ? Math.max(c.heartBeatNegotiated.clientToBroker, c.heartBeatNegotiated.brokerToClient) : null;
    case 'heartbeatsSeen': return c.heartbeats.client + c.heartbeats.broker;
    case 'opened': return c.opened;
    case 'closed': return c.closed;
    case 'duration': return c.durationUs;
    case 'closeReason': return c.closeReason;
    case 'framesClient': return c.frames.client;
    case 'framesBroker': return c.frames.broker;
    case 'bytesClient': return c.bytes.client;
    case 'bytesBroker': return c.bytes.broker;
    case 'findings': return c.findings.error * 1e12 + c.findings.warning * 1e6 + c.findings.note;
  }
}

export function sortConnections(rows: readonly ConnectionOverviewDto[], key: ConnectionSortKey, descending: boolean): ConnectionOverviewDto[] {
  return [...rows].sort((a, b) => {
    const x = sortValue(a, key);
    const y = sortValue(b, key);
    if (x === null || y === null) return x === y ? connectionNumber(a) - connectionNumber(b) : x === null ? 1 : -1;
    const d = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
    return (descending ? -d : d) || connectionNumber(a) - connectionNumber(b);
  });
}

/** The Connections view (Wireshark's Conversations): one row per connection of the open session, sortable. */
export class ConnectionsViewState {
  rows = $state.raw<ConnectionOverviewDto[]>([]);
  session = $state<number | null>(null);
  sortKey = $state<ConnectionSortKey>('connection');
  descending = $state(false);
  loading = $state(false);
  error = $state<string | null>(null);
  private gen = 0;

  constructor(private readonly api: ApiClient) {}

  get sorted(): ConnectionOverviewDto[] {
    return sortConnections(this.rows, this.sortKey, this.descending);
  }

  async load(session: number | null): Promise<void> {
    const gen = ++this.gen;
    this.session = session;
    if (session === null) {
      this.rows = [];
      return;
    }
    this.loading = true;
    try {
      const rows = await this.api.invoke('connections.overview', { session });
      if (gen !== this.gen) return;
      this.rows = rows;
      this.error = null;
    } catch (e) {
      if (gen === this.gen) this.error = (e as Error).message;
    } finally {
      if (gen === this.gen) this.loading = false;
    }
  }

  /** A click on a column header: sort by it, or turn the order round when it already sorts. */
  sortBy(key: ConnectionSortKey): void {
    if (this.sortKey === key) this.descending = !this.descending;
    else {
      this.sortKey = key;
      this.descending = false;
    }
  }
}

/** Follow connection: one connection's frames both ways as a transcript, read on in pages, raw bytes on demand. */
export class FollowState {
  connection = $state<number | null>(null);
  info = $state.raw<Omit<FollowDto, 'entries' | 'next'> | null>(null);
  entries = $state.raw<FollowEntryDto[]>([]);
  next = $state<number | null>(null);
  loading = $state(false);
  error = $state<string | null>(null);
  /** Frames whose raw bytes are shown (hex and text), by frame id, with those bytes once read. */
  raw = $state<Record<number, string | null>>({});
  private gen = 0;

  constructor(private readonly api: ApiClient) {}

  async open(connection: number): Promise<void> {
    const gen = ++this.gen;
    this.connection = connection;
    this.entries = [];
    this.info = null;
    this.next = null;
    this.raw = {};
    await this.read(gen, undefined);
  }

  async more(): Promise<void> {
    if (this.next === null || this.loading) return;
    await this.read(this.gen, this.next);
  }

  private async read(gen: number, after: number | undefined): Promise<void> {
    if (this.connection === null) return;
    this.loading = true;
    try {
      const r = await this.api.invoke('connection.follow', { connection: this.connection, after });
      if (gen !== this.gen) return;
      const { entries, next, ...info } = r;
      this.info = info;
      this.entries = after === undefined ? entries : [...this.entries, ...entries];
      this.next = next;
      this.error = null;
    } catch (e) {
      if (gen === this.gen) this.error = (e as Error).message;
    } finally {
      if (gen === this.gen) this.loading = false;
    }
  }

  /** Shows or hides one frame's raw bytes; they are read (base64, credentials masked) the first time. */
  async toggleRaw(id: number): Promise<void> {
    if (id in this.raw) {
      const { [id]: _gone, ...rest } = this.raw;
      this.raw = rest;
      return;
    }
    this.raw = { ...this.raw, [id]: null };
    try {
      const d = await this.api.invoke('frame.detail', { id });
      if (id in this.raw) this.raw = { ...this.raw, [id]: d.rawBase64 ?? '' };
    } catch (e) {
      this.error = (e as Error).message;
    }
  }
}
