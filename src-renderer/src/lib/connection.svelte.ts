import type { ApiClient, ConnectionDto } from '../../../shared/api/index.js';

/**
 * The connection of the selected frame: its transport (TCP, TLS, WebSocket, SockJS) and, for WebSocket and SockJS,
 * the handshake. Connections are fetched once per session and refetched when one is not known yet (a live
 * proxy's new connection).
 */
export class ConnectionInfoState {
  conn = $state.raw<ConnectionDto | null>(null);
  private session = -1;
  private cache: ConnectionDto[] = [];
  private loading = 0;
  /** The connection last asked for: asking again (the detail pane re-renders) does nothing. */
  private key = '';

  constructor(private readonly api: ApiClient) {}

  async load(session: number, connection: number): Promise<void> {
    const key = `${session}:${connection}`;
    if (key === this.key) return;
    this.key = key;
    const n = ++this.loading;
    let c = session === this.session ? this.cache.find((x) => x.connection === connection) : undefined;
    if (!c) {
      try {
        const list = await this.api.invoke('connections.list', { session });
        if (n !== this.loading) return;
        this.session = session;
        this.cache = list;
        c = list.find((x) => x.connection === connection);
      } catch {
        // Not worth an error line in the detail pane: the frame is shown without its connection's transport.
        if (n === this.loading) this.conn = null;
        return;
      }
    }
    this.conn = c ?? null;
  }
}

/** "WebSocket + TLS" for 'websocket+tls': how the UI names a transport. */
export function transportLabel(t: string): string {
  const names: Record<string, string> = { tcp: 'TCP', tls: 'TLS', websocket: 'WebSocket', sockjs: 'SockJS' };
  return t.split('+').map((p) => names[p] ?? p).join(' + ');
}
