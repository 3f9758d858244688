// A minimal STOMP 1.2 client for the load and fault tests: one socket, frames read with the tests' own oracle
// splitter (test/support/stomp-wire.ts, not the product's decoder), every wait bounded and named.
import net from 'node:net';
import { WireSplitter, type WireFrame } from '../support/stomp-wire.js';

export const header = (f: WireFrame, name: string) => f.rawHeaders.find(([k]) => k === name)?.[1];

export class StompClient {
  readonly frames: WireFrame[] = [];
  private readonly splitter = new WireSplitter();
  private waiters: Array<() => void> = [];
  closed = false;
  error: Error | null = null;
  /** What the client was doing last: shown when it stalls. */
  stage = 'connecting';

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      for (const e of this.splitter.feed(d)) if (e.kind === 'frame') this.frames.push(e.frame);
      this.wake();
    });
    socket.on('error', (e) => (this.error = e));
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static connect(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<StompClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port });
      const t = setTimeout(() => {
        s.destroy();
        reject(new Error(`TCP connect to ${host}:${port}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(t);
        s.off('error', reject);
        resolve(new StompClient(s));
      });
      s.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(command: string, headers: Record<string, string>, body = ''): void {
    const h = Object.entries(headers).map(([k, v]) => `${k}:${v}\n`).join('');
    this.socket.write(`${command}\n${h}\n${body}\0`);
  }

  /** The first frame received (from index `from` on) that matches; waits at most `ms`. */
  async next(pred: (f: WireFrame) => boolean, ms: number, what: string, from = 0): Promise<WireFrame> {
    const deadline = Date.now() + ms;
    for (;;) {
      for (let i = from; i < this.frames.length; i++) if (pred(this.frames[i])) return this.frames[i];
      const err = this.frames.find((f) => f.command === 'ERROR');
      if (err) throw new Error(`${what}: broker sent ERROR ${header(err, 'message') ?? ''} ${err.body.toString().slice(0, 200)}`);
      if (this.closed) throw new Error(`${what}: connection closed${this.error ? ` (${this.error.message})` : ''}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what}: nothing within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async handshake(ms: number): Promise<void> {
    this.stage = 'CONNECT';
    this.send('CONNECT', { 'accept-version': '1.2', host: '/', login: 'guest', passcode: 'guest', 'heart-beat': '0,0' });
    await this.next((f) => f.command === 'CONNECTED', ms, 'CONNECTED');
  }

  receipt(id: string, ms: number): Promise<WireFrame> {
    return this.next((f) => f.command === 'RECEIPT' && header(f, 'receipt-id') === id, ms, `RECEIPT ${id}`);
  }

  close(): void {
    this.socket.destroy();
  }
}
