// The planted faults of the precision suite: each is one connection through the same proxy as the clean runs,
// written byte by byte by a bare socket (so the fault, and nothing else, is on the wire), against the real broker.
// Each must give exactly one error-or-warning finding: its own.
import { randomBytes } from 'node:crypto';
import { BareClient, CONNECT, waitForFinding, type Fault } from './support.js';

/** A CONNECT with a passcode the broker refuses: it answers ERROR (and closes); the client hangs up too. */
export const wrongPasscode: Fault = {
  name: 'wrong passcode',
  code: 'error-frame',
  message: /^ERROR: /,
  async run({ port }) {
    const c = new BareClient(port);
    c.send('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:not-the-passcode\n\n\0');
    await c.next((f) => f.command === 'ERROR', 'the ERROR refusing the login');
    // Hang up at once: never wait for a broker's own login timeout.
    await c.end();
  },
};

/**
 * A SEND asks for a receipt that never comes. Real brokers answer every receipt they are asked for, so the SEND is
 * kept from reaching the broker: past the proxy, tee B drops the client's bytes from then on (a link losing one
 * way). The client then hangs up without DISCONNECT, as a client that gave up on the receipt does. The proxy
 * recorded the SEND with its receipt and no RECEIPT: deterministic, whatever the broker's timing.
 */
export const unansweredReceipt: Fault = {
  name: 'unanswered receipt',
  code: 'receipt-missing',
  message: /receipt "r-lost"/,
  async run({ port, teeB }) {
    const c = new BareClient(port);
    c.send(CONNECT());
    await c.next((f) => f.command === 'CONNECTED', 'CONNECTED');
    const b = teeB();
    if (!b) throw new Error('no broker-side connection');
    b.dropClientToServer();
    c.send(`SEND\ndestination:/queue/stompscope-lost-${randomBytes(4).toString('hex')}\nreceipt:r-lost\ncontent-type:text/plain\n\nnever delivered\0`);
    await c.end();
  },
};

/** Past 2× its heart-beat, the client is checked for as a silent peer: the period its CONNECT promised. */
const SILENT_PERIOD_MS = 2000;

/**
 * The client promises a heart-beat every 2 s (`heart-beat:2000,0`), the broker accepts, and the client goes
 * silent. The proxy's live watcher reports `heartbeat-missed` once 1.5× the period has passed (within its 1 s
 * tick): the test polls the live recording for it (bounded), then the client speaks again (DISCONNECT) well
 * before the broker's own drop (RabbitMQ and ActiveMQ close a client silent for ~3× the period), so nothing else
 * happens on the connection.
 */
export const silentPeer: Fault = {
  name: 'silent client past its heart-beat',
  code: 'heartbeat-missed',
  message: new RegExp(`nothing from the client .*heart-beat every ${SILENT_PERIOD_MS} ms`),
  async run({ port, db }) {
    const c = new BareClient(port);
    c.send(CONNECT(`heart-beat:${SILENT_PERIOD_MS},0\n`));
    const connected = await c.next((f) => f.command === 'CONNECTED', 'CONNECTED');
    const hb = connected.rawHeaders.find(([k]) => k === 'heart-beat')?.[1];
    if (hb !== `0,${SILENT_PERIOD_MS}`) throw new Error(`the broker did not take the client's heart-beat: heart-beat:${hb}`);
    await waitForFinding(db, 'heartbeat-missed', SILENT_PERIOD_MS * 3);
    c.send('DISCONNECT\nreceipt:r-bye\n\n\0');
    await c.receipt('r-bye');
    await c.end();
  },
};

/** A MESSAGE received on a client-ack subscription and never acknowledged when the client DISCONNECTs. */
export const unackedAtDisconnect: Fault = {
  name: 'unacked message at DISCONNECT',
  code: 'message-unacked',
  message: /was never acknowledged/,
  async run({ port }) {
    const queue = `/queue/stompscope-unacked-${randomBytes(4).toString('hex')}`;
    const c = new BareClient(port);
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
  },
};
