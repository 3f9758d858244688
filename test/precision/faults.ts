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

/** The heart-beat the silent client promises (ms). */
const SILENT_PERIOD_MS = 3000;

/**
 * The client promises a heart-beat every 3 s (`heart-beat:3000,0`), the broker accepts, and the client goes
 * silent past twice that. The proxy's live watcher reports `heartbeat-missed` once 1.5× the period has passed
 * (within its 1 s tick): the test polls the live recording for it (bounded); once the silence has also lasted 2×
 * the period, the client speaks again (DISCONNECT), before the broker's own drop (RabbitMQ and ActiveMQ close a
 * client silent for ~3× the period), so nothing else happens on the connection. The pass/fail never rests on
 * the broker's timer: the finding is in the recording before the client speaks.
 */
export const silentPeer: Fault = {
  name: 'silent client past 2× its heart-beat',
  code: 'heartbeat-missed',
  message: new RegExp(`^nothing from the client for .*heart-beat every ${SILENT_PERIOD_MS} ms`),
  run: ({ port, db }) =>
    bare(port, async (c) => {
      c.send(CONNECT(`heart-beat:${SILENT_PERIOD_MS},0\n`));
      const connected = await c.next((f) => f.command === 'CONNECTED', 'CONNECTED');
      const silentSince = Date.now();
      const hb = connected.rawHeaders.find(([k]) => k === 'heart-beat')?.[1];
      if (hb !== `0,${SILENT_PERIOD_MS}`) throw new Error(`the broker did not take the client's heart-beat: heart-beat:${hb}`);
      await waitForFinding(db, 'heartbeat-missed', SILENT_PERIOD_MS * 3);
      const rest = silentSince + 2 * SILENT_PERIOD_MS - Date.now();
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
      c.send('DISCONNECT\nreceipt:r-bye\n\n\0');
      await c.receipt('r-bye');
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
