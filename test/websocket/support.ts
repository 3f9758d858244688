// Real WebSocket clients and an independent oracle for STOMP over WebSocket tests.
//
// - runWsScenario: @stomp/stompjs 7 over the `ws` package's WebSocket (its webSocketFactory), the way a Node
//   or browser app uses RabbitMQ Web STOMP: subscribe with a receipt, send a text, a binary (NULs, so
//   content-length) and a 100 kB message, receive and ACK all three, disconnect.
// - unwrapWebSocket: the `ws` package's own frame parser (Receiver, with its PerMessageDeflate) turns one direction
//   of tee'd wire bytes into the message payloads, so what StompScope decoded is checked against code that is
//   not StompScope's.
import { Client, type IMessage, type IStompSocket } from '@stomp/stompjs';
import { EventEmitter } from 'node:events';
import * as wsModule from 'ws';
import WebSocket from 'ws';

export interface WsScenarioResult {
  ok: boolean;
  errors: string[];
  received: Array<{ destination: string | undefined; body: Buffer }>;
  sent: { text: string; binary: Buffer; big: string };
  /** What the client's socket negotiated. */
  protocol: string;
  extensions: string;
}

export async function runWsScenario(url: string, opts: { queue: string; deflate: boolean; split?: boolean; timeoutMs?: number }): Promise<WsScenarioResult> {
  // The binary body has NULs (so content-length) but is valid UTF-8: RabbitMQ Web STOMP sends every frame as a text
  // message (web_stomp.ws_frame = text), and clients refuse, or stompjs mangles, a text message that is not UTF-8.
  const sent = { text: 'hello over WebSocket, é', binary: Buffer.from([0, 1, 2, 0, 0xc3, 0xa9, 10, 0]), big: 'big-'.repeat(25_000) };
  const errors: string[] = [];
  const received: WsScenarioResult['received'] = [];
  let socket: WebSocket | null = null;
  const client = new Client({
    webSocketFactory: () => {
      socket = new WebSocket(url, ['v10.stomp', 'v11.stomp', 'v12.stomp'], { perMessageDeflate: opts.deflate });
      socket.on('error', (e) => errors.push(`socket: ${e.message}`));
      socket.on('close', (code, reason) => {
        if (code !== 1000 && code !== 1005) errors.push(`closed ${code} ${reason.toString()}`);
      });
      return socket as unknown as IStompSocket;
    },
    connectHeaders: { login: 'guest', passcode: 'guest', host: '/' },
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    reconnectDelay: 0,
    // One STOMP frame across several WebSocket messages (stompjs's splitLargeFrames), when asked.
    splitLargeFrames: !!opts.split,
    maxWebSocketChunkSize: 16 * 1024,
    debug: () => {},
  });
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`scenario timed out; received ${received.length}`)), opts.timeoutMs ?? 20_000);
    client.onStompError = (f) => errors.push(`ERROR ${f.headers.message}`);
    client.onWebSocketError = () => errors.push('websocket error');
    client.onConnect = () => {
      const dest = `/queue/${opts.queue}`;
      client.watchForReceipt('sub-1', () => {
        client.publish({ destination: dest, body: sent.text, headers: { receipt: 'send-1', 'content-type': 'text/plain' } });
        client.publish({ destination: dest, binaryBody: sent.binary, headers: { 'content-type': 'application/octet-stream' } });
        client.publish({ destination: dest, body: sent.big });
      });
      client.subscribe(dest, (m: IMessage) => {
        received.push({ destination: m.headers.destination, body: Buffer.from(m.binaryBody) });
        m.ack();
        if (received.length === 3) {
          clearTimeout(timer);
          resolve();
        }
      }, { id: 'sub-0', ack: 'client-individual', receipt: 'sub-1' });
    };
    client.activate();
  });
  try {
    await done;
  } catch (e) {
    errors.push((e as Error).message);
  }
  const s = socket as WebSocket | null;
  const protocol = s?.protocol ?? '';
  const extensions = s?.extensions ?? '';
  await client.deactivate();
  // Bounded wait for the socket to be closed both ways.
  if (s && s.readyState !== WebSocket.CLOSED) {
    await new Promise<void>((r) => {
      const t = setTimeout(r, 5000);
      s.once('close', () => {
        clearTimeout(t);
        r();
      });
    });
  }
  return { ok: errors.length === 0 && received.length === 3, errors, received, sent, protocol, extensions };
}

interface ReceiverLike extends EventEmitter {
  write(chunk: Buffer, cb: (e?: Error | null) => void): boolean;
}
interface PmdLike {
  accept(offers: unknown[]): unknown;
}
const ws = wsModule as unknown as {
  Receiver: new (o: object) => ReceiverLike;
  PerMessageDeflate: new (o: object, isServer: boolean, maxPayload: number) => PmdLike;
  extension: { parse(h: string): Record<string, unknown[]> };
};

export interface Unwrapped {
  head: string;
  messages: Buffer[];
  pings: number;
  pongs: number;
  close: { code: number; reason: string } | null;
}

/**
 * One direction of a WebSocket connection's wire bytes (HTTP head first) → its message payloads, by the `ws`
 * package's parser. `extensions`: the Sec-WebSocket-Extensions the server answered (for permessage-deflate).
 */
export async function unwrapWebSocket(wire: Buffer, fromClient: boolean, extensions: string | null): Promise<Unwrapped> {
  const end = wire.indexOf('\r\n\r\n');
  if (end < 0) throw new Error('no HTTP head in the stream');
  const head = wire.subarray(0, end).toString('latin1');
  const exts: Record<string, PmdLike> = {};
  if (extensions && /permessage-deflate/.test(extensions)) {
    // The receiving side's view: the server reads client frames, the client reads server frames.
    const pmd = new ws.PerMessageDeflate({}, fromClient, 0);
    pmd.accept(ws.extension.parse(extensions)['permessage-deflate']);
    exts['permessage-deflate'] = pmd;
  }
  const r = new ws.Receiver({ isServer: fromClient, extensions: exts, skipUTF8Validation: true });
  const out: Unwrapped = { head, messages: [], pings: 0, pongs: 0, close: null };
  r.on('message', (data: Buffer) => out.messages.push(Buffer.from(data)));
  r.on('ping', () => out.pings++);
  r.on('pong', () => out.pongs++);
  r.on('conclude', (code: number, reason: Buffer) => (out.close = { code, reason: reason.toString() }));
  const rest = wire.subarray(end + 4);
  if (rest.length) {
    await new Promise<void>((resolve, reject) => {
      r.on('error', reject);
      r.write(rest, (e) => (e ? reject(e) : resolve()));
    });
  }
  return out;
}
