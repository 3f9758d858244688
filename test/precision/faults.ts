// The planted faults of the precision suite: each is one connection through the same proxy as the clean runs,
// written byte by byte by a bare socket (so the fault, and nothing else, is on the wire), against the real broker.
// Each must give exactly one error-or-warning finding: its own.
import { randomBytes } from 'node:crypto';
import { BareClient, CONNECT, waitForFinding, type Fault } from './support.js';

/** Runs `body` on a fresh bare connection; on failure, drops the connection so the next run starts alone. */
async function bare(port: number, body: (c: BareClient) => Promise<void>): Promise<void> {
  const c = new BareClient(port);
  try {
    await body(c);
  } catch (e) {
    c.socket.destroy();
    throw e;
  }
}

/** A CONNECT with a passcode the broker refuses: it answers ERROR (and closes); the client hangs up too. */
export const wrongPasscode: Fault = {
  name: 'wrong passcode',
  code: 'error-frame',
  message: /^ERROR: /,
  run: ({ port }) =>
    bare(port, async (c) => {
      c.send('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:not-the-passcode\n\n\0');
      await c.next((f) => f.command === 'ERROR', 'the ERROR refusing the login');
      // Hang up at once: never wait for a broker's own login timeout.
      await c.end();
    }),
};

/**
 * A SEND asks for a receipt that never comes. Both brokers answer a SEND's receipt (RabbitMQ once it has the
 * message, ActiveMQ at once), so the SEND is kept from reaching the broker: past the proxy, tee B drops the
 * client's bytes from then on (a link losing one way). The client then hangs up without DISCONNECT, as a client that gave up on the receipt does. The proxy
 * recorded the SEND with its receipt and no RECEIPT: deterministic, whatever the broker's timing.
 */
export const unansweredReceipt: Fault = {
  name: 'unanswered receipt',
  code: 'receipt-missing',
  message: /receipt "r-lost"/,
  run: ({ port, teeB }) =>
    bare(port, async (c) => {
      c.send(CONNECT());
      await c.next((f) => f.command === 'CONNECTED', 'CONNECTED');
      const b = teeB();
      if (!b) throw new Error('no broker-side connection');
      b.dropClientToServer();
      c.send(`SEND\ndestination:/queue/stompscope-lost-${randomBytes(4).toString('hex')}\nreceipt:r-lost\ncontent-type:text/plain\n\nnever delivered\0`);
      await c.end();
    }),
};

/** The heart-beat period each way of the silent-broker fault (ms). */
const SILENT_PERIOD_MS = 1000;

/**
 * The broker falls silent past twice its heart-beat: client and broker negotiate heart-beats every second each way,
 * then tee B (between the proxy and the broker) stops passing the broker's bytes on, as a link that loses one way
 * would. The client keeps its own heart-beats going (every 700 ms: within its period, and not "too frequent"), so
 * the broker has no reason to drop it, and no broker timer decides anything: the proxy's live watcher reports
 * `heartbeat-missed` once the silence passes the limit (within its 1 s tick); the test polls the live recording for
 * it (bounded), then the client says DISCONNECT and hangs up.
 */
export const silentPeer: Fault = {
  name: 'silent broker past 2× its heart-beat',
  code: 'heartbeat-missed',
  message: new RegExp(`^nothing from the broker for .*heart-beat every ${SILENT_PERIOD_MS} ms`),
  run: ({ port, db, teeB }) =>
    bare(port, async (c) => {
      c.send(CONNECT(`heart-beat:${SILENT_PERIOD_MS},${SILENT_PERIOD_MS}\n`));
      const connected = await c.next((f) => f.command === 'CONNECTED', 'CONNECTED');
      const hb = connected.rawHeaders.find(([k]) => k === 'heart-beat')?.[1];
      if (hb !== `${SILENT_PERIOD_MS},${SILENT_PERIOD_MS}`) throw new Error(`the broker did not take the heart-beats: heart-beat:${hb}`);
      const b = teeB();
      if (!b) throw new Error('no broker-side connection');
      b.dropServerToClient();
      const beating = setInterval(() => c.send('\n'), 700);
      try {
        await waitForFinding(db, 'heartbeat-missed', SILENT_PERIOD_MS * 20);
      } finally {
        clearInterval(beating);
      }
      c.send('DISCONNECT\n\n\0');
      await c.end();
    }),
};

/** A MESSAGE received on a client-ack subscription and never acknowledged when the client DISCONNECTs. */
export const unackedAtDisconnect: Fault = {
  name: 'unacked message at DISCONNECT',
  code: 'message-unacked',
  message: /was never acknowledged/,
  run: ({ port }) =>
    bare(port, async (c) => {
      const queue = `/queue/stompscope-unacked-${randomBytes(4).toString('hex')}`;
      c.send(CONNECT());
      await c.next((f) => f.command === 'CONNECTED', 'CONNECTED');
      c.send(`SUBSCRIBE\nid:s-1\ndestination:${queue}\nack:client-individual\nreceipt:r-sub\n\n\0`);
      await c.receipt('r-sub');
      c.send(`SEND\ndestination:${queue}\nreceipt:r-send\ncontent-type:text/plain\n\nnever acknowledged\0`);
      await c.receipt('r-send');
      await c.next((f) => f.command === 'MESSAGE', 'the MESSAGE');
      c.send('DISCONNECT\nreceipt:r-bye\n\n\0');
      await c.receipt('r-bye');
      await c.end();
    }),
};
