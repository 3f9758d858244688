// The one module that knows which host the UI runs in. Everything else gets an ApiClient.
//   - Electron: the preload bridge (`window.stompscope`), over IPC.
//   - Browser (`stompscope ui`): a WebSocket to the web host, with the token of the page's URL.
import { ApiClient, resultOf, type ApiChannel, type UploadFile } from '../../../shared/api/index.js';

/** The preload's functions (src-main/electron/preload.ts); each answers with a reply of plain data. */
interface Bridge {
  invoke(command: string, args: unknown): Promise<unknown>;
  onEvent?(listener: (event: string, data: unknown) => void): void;
  registerFile?(file: File): Promise<unknown>;
  saveExport?(ticket: string, filename: string): Promise<unknown>;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/** JSON over one WebSocket: requests carry an id, answers echo it; messages without an id are events. */
export class WebSocketChannel implements ApiChannel {
  private ws: WebSocket | null = null;
  private opening: Promise<WebSocket> | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private listener: ((event: string, data: unknown) => void) | null = null;

  constructor(private readonly url: string, private readonly token: string) {}

  /** Capture files go over plain HTTP (a stream, not a WebSocket message), with the same token. */
  async upload(file: UploadFile): Promise<string> {
    const r = await fetch(`/upload?token=${encodeURIComponent(this.token)}&name=${encodeURIComponent(file.name)}`, {
      method: 'POST', body: file as File, headers: { 'Content-Type': 'application/octet-stream' },
    });
    if (!r.ok) throw new Error(`upload refused: ${(await r.text()).trim()}`);
    return ((await r.json()) as { upload: string }).upload;
  }

  private connect(): Promise<WebSocket> {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) return Promise.resolve(this.ws);
    if (this.opening) return this.opening;
    this.opening = new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(this.url);
      ws.onopen = () => {
        this.ws = ws;
        this.opening = null;
        resolve(ws);
      };
      ws.onerror = () => {
        this.opening = null;
        reject(new Error('cannot reach the StompScope web host (was it stopped?)'));
      };
      ws.onclose = () => {
        this.ws = null;
        for (const p of this.pending.values()) p.reject(new Error('the connection to the StompScope web host closed'));
        this.pending.clear();
      };
      ws.onmessage = (m) => this.onMessage(String(m.data));
    });
    return this.opening;
  }

  private onMessage(text: string): void {
    const msg = JSON.parse(text) as { id?: number; event?: string; data?: unknown };
    if (typeof msg.event === 'string') {
      this.listener?.(msg.event, msg.data);
      return;
    }
    const p = this.pending.get(msg.id as number);
    if (!p) return;
    this.pending.delete(msg.id as number);
    try {
      p.resolve(resultOf(msg));
    } catch (e) {
      p.reject(e as Error);
    }
  }

  async invoke(cmd: string, args: unknown): Promise<never> {
    const ws = await this.connect();
    const id = this.nextId++;
    return new Promise<never>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      ws.send(JSON.stringify({ id, cmd, args }));
    });
  }

  /** A download of the export, through the same token. */
  async saveExport(ticket: string, filename: string): Promise<void> {
    const a = document.createElement('a');
    a.href = `/export/${encodeURIComponent(ticket)}?token=${encodeURIComponent(this.token)}`;
    a.download = filename;
    a.click();
  }

  listen(listener: (event: string, data: unknown) => void): void {
    this.listener = listener;
    // Events flow once the socket is open; open it now rather than on the first command.
    this.connect().catch(() => {});
  }
}

export function createClient(): ApiClient {
  const bridge = (globalThis as { stompscope?: Bridge }).stompscope;
  if (bridge) {
    // Replies are turned into results or ApiErrors (code, message, detail) exactly as over the WebSocket.
    const channel: ApiChannel = {
      invoke: async (cmd, args) => resultOf(await bridge.invoke(cmd, args)),
      listen: (fn) => bridge.onEvent?.(fn),
      // The desktop app reads dropped or picked files where they are: main gets their path from Electron.
      upload: async (file) => String(resultOf(await bridge.registerFile!(file as File))),
      saveExport: async (ticket, filename) => {
        resultOf(await bridge.saveExport!(ticket, filename));
      },
    };
    return new ApiClient(channel);
  }
  const token = new URLSearchParams(location.search).get('token') ?? '';
  return new ApiClient(new WebSocketChannel(`ws://${location.host}/api?token=${encodeURIComponent(token)}`, token));
}
