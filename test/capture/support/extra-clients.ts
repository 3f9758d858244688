// Two more conversations by a real client (@stomp/stompjs over TCP, through the same tapped socket as
// test/support/clients/stompjs-scenario.ts), for what the shared scenarios do not cover: a message of several
// MB that spans many TCP segments both ways, and a broker ERROR that ends the connection. Each logs what went
// over its socket in the same record shape as the scenarios (parsed by the tests' oracle splitter).
import { Client, Versions, type IMessage } from '@stomp/stompjs';
import { randomBytes } from 'node:crypto';
import { TcpStompSocket, nowIso, type LogRecord } from '../../support/clients/stompjs-scenario.js';
import { bodyText, sha256, unescapeHeaders, WireSplitter, type Version } from '../../support/stomp-wire.js';

export interface ExtraRun {
  ok: boolean;
  errors: string[];
  records: LogRecord[];
  localPort: number | null;
  /** The body that was sent (big) or the ERROR message header (error). */
  detail: string;
}

function tap(records: LogRecord[], errors: string[]) {
  let negotiated: Version | null = null;
  const splitters = { sent: new WireSplitter(), received: new WireSplitter() };
  return (dir: 'sent' | 'received', bytes: Buffer) => {
    try {
      for (const ev of splitters[dir].feed(bytes)) {
        if (ev.kind === 'heartbeat') {
          records.push({ event: 'heartbeat', dir, t: nowIso() });
          continue;
        }
        const f = ev.frame;
        if (f.command === 'CONNECTED') {
          const v = f.rawHeaders.find(([k]) => k === 'version')?.[1];
          negotiated = v === '1.1' || v === '1.2' ? v : '1.0';
        }
        records.push({
          event: 'frame', dir, t: nowIso(), command: f.command, headers: unescapeHeaders(f.command, f.rawHeaders, negotiated ?? '1.0'),
          bodyLength: f.body.length, bodySha256: sha256(f.body), body: bodyText(f.body),
        });
      }
    } catch (e) {
      errors.push(`${dir} stream: ${(e as Error).message}`);
    }
  };
}

async function waitFor(pred: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** SEND a `size`-byte binary body (content-length) to a fresh queue, receive it back as a MESSAGE, disconnect. */
export async function runBigMessage(port: number, size: number): Promise<ExtraRun> {
  const records: LogRecord[] = [];
  const errors: string[] = [];
  const t = tap(records, errors);
  let sock: TcpStompSocket | null = null;
  const queue = `/queue/stompscope-big-${randomBytes(4).toString('hex')}`;
  const body = randomBytes(size);
  const messages: IMessage[] = [];
  const receipts = new Set<string>();
  let connected = false;
  const client = new Client({
    webSocketFactory: () => (sock = new TcpStompSocket('127.0.0.1', port, t)),
    connectHeaders: { login: 'guest', passcode: 'guest', host: '/' },
    stompVersions: new Versions(['1.2']),
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    reconnectDelay: 0,
    debug: () => {},
    onConnect: () => (connected = true),
    onStompError: (f) => errors.push(`ERROR: ${f.headers.message}`),
  });
  try {
    client.activate();
    await waitFor(() => connected, 'CONNECTED');
    client.watchForReceipt('r-sub', () => receipts.add('r-sub'));
    client.subscribe(queue, (m) => messages.push(m), { id: 'big', receipt: 'r-sub' });
    await waitFor(() => receipts.has('r-sub'), 'RECEIPT r-sub');
    client.watchForReceipt('r-big', () => receipts.add('r-big'));
    client.publish({ destination: queue, binaryBody: new Uint8Array(body), headers: { 'content-type': 'application/octet-stream', receipt: 'r-big' } });
    await waitFor(() => receipts.has('r-big') && messages.length === 1, 'the big MESSAGE', 60_000);
    if (!Buffer.from(messages[0].binaryBody).equals(body)) errors.push('the big body did not come back intact');
    client.configure({ disconnectHeaders: { receipt: 'r-disconnect' } });
    await Promise.race([client.deactivate(), new Promise((r) => setTimeout(r, 10_000))]);
  } catch (e) {
    errors.push((e as Error).message);
    await client.deactivate({ force: true }).catch(() => {});
  }
  const s = sock as TcpStompSocket | null;
  return { ok: errors.length === 0, errors, records, localPort: s?.localPort ?? null, detail: sha256(body) };
}

/**
 * SUBSCRIBE to a destination RabbitMQ refuses: it answers with an ERROR frame (rabbitmq_stomp: "Invalid
 * destination"); the client then drops the connection without a DISCONNECT, as clients do after an ERROR.
 */
export async function runBrokerError(port: number): Promise<ExtraRun> {
  const records: LogRecord[] = [];
  const errors: string[] = [];
  const t = tap(records, errors);
  let sock: TcpStompSocket | null = null;
  let connected = false;
  let stompError: string | null = null;
  let closed = false;
  const client = new Client({
    webSocketFactory: () => (sock = new TcpStompSocket('127.0.0.1', port, t)),
    connectHeaders: { login: 'guest', passcode: 'guest', host: '/' },
    stompVersions: new Versions(['1.1']),
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    reconnectDelay: 0,
    debug: () => {},
    onConnect: () => (connected = true),
    onStompError: (f) => (stompError = f.headers.message ?? ''),
    onWebSocketClose: () => (closed = true),
  });
  try {
    client.activate();
    await waitFor(() => connected, 'CONNECTED');
    client.subscribe('/bogus/not-a-destination', () => {}, { id: 'bad' });
    await waitFor(() => stompError !== null, 'ERROR');
  } catch (e) {
    errors.push((e as Error).message);
  }
  await client.deactivate({ force: true }).catch(() => {});
  await waitFor(() => closed, 'socket close', 5_000).catch((e: Error) => errors.push(e.message));
  const s = sock as TcpStompSocket | null;
  return { ok: errors.length === 0 && stompError !== null, errors, records, localPort: s?.localPort ?? null, detail: stompError ?? '' };
}
