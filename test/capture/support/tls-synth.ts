// Synthetic TLS 1.3 (AES-128-GCM) byte streams with known secrets, for tests and benchmarks that need many or odd
// connections (records out of order across directions, key updates); real TLS is tested with real clients
// (tls-clients.ts). Secrets come from a label and the connection number, so every run writes the same bytes.
import { createCipheriv, createHash } from 'node:crypto';
import { CIPHER_SUITES, keys13, nextSecret13, type TrafficKeys } from '../../../src-main/core/capture/tls/crypto.js';

const SUITE = CIPHER_SUITES.get(0x1301)!;

const secretOf = (label: string, i: number) => createHash('sha256').update(`${label} ${i}`).digest();

/** A TLS 1.3 protected record (RFC 8446 §5.2) of `content` with inner type `type`. */
export function seal(k: TrafficKeys, type: number, content: Uint8Array): Buffer {
  const len = content.length + 1 + 16;
  const header = Buffer.from([23, 3, 3, len >> 8, len & 0xff]);
  const nonce = Buffer.from(k.iv);
  const seq = Buffer.alloc(8);
  seq.writeBigUInt64BE(k.seq++);
  for (let i = 0; i < 8; i++) nonce[4 + i] ^= seq[i];
  const c = createCipheriv('aes-128-gcm', k.key, nonce);
  c.setAAD(header);
  return Buffer.concat([header, c.update(content), c.update(Buffer.from([type])), c.final(), c.getAuthTag()]);
}

const plainRecord = (type: number, body: Uint8Array) => Buffer.concat([Buffer.from([type, 3, 3, body.length >> 8, body.length & 0xff]), body]);
const handshakeMessage = (type: number, body: Uint8Array) =>
  Buffer.concat([Buffer.from([type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);

export interface SynthTls {
  /** The client's stream: ClientHello, its Finished, then `client` as application data. */
  client: Buffer;
  /** The broker's: ServerHello, its Finished, `broker` (with a KeyUpdate halfway through when asked). */
  broker: Buffer;
  /** The NSS key log lines of this connection. */
  keylog: string;
  /** Where the ClientHello record ends in `client` (what comes after it is protected). */
  clientHelloEnd: number;
}

/** TLS 1.3 streams of connection `i` carrying `client` and `broker`, in records of at most 16 KiB. */
export function tlsStreams(i: number, client: Uint8Array, broker: Uint8Array, o: { keyUpdate?: boolean } = {}): SynthTls {
  const cr = createHash('sha256').update(`client random ${i}`).digest();
  const sr = createHash('sha256').update(`server random ${i}`).digest();
  const hello = plainRecord(22, handshakeMessage(1, Buffer.concat([Buffer.from([3, 3]), cr, Buffer.from([0, 0, 2, 0x13, 0x01, 1, 0, 0, 0])])));
  const serverHello = handshakeMessage(2, Buffer.concat([Buffer.from([3, 3]), sr, Buffer.from([0, 0x13, 0x01, 0, 0, 6, 0, 0x2b, 0, 2, 3, 4])]));
  const s = { chs: secretOf('chs', i), shs: secretOf('shs', i), cap: secretOf('cap', i), sap: secretOf('sap', i) };
  const finished = handshakeMessage(20, Buffer.alloc(32));
  const records = (k: TrafficKeys, data: Uint8Array) => {
    const out: Buffer[] = [];
    for (let off = 0; off < data.length; off += 16384) out.push(seal(k, 23, data.subarray(off, off + 16384)));
    return out;
  };
  let brokerRecords: Buffer[];
  if (o.keyUpdate) {
    // RFC 8446 §4.6.3: a KeyUpdate, then the next records under the next traffic secret.
    const half = broker.length >> 1;
    const k0 = keys13(SUITE, s.sap);
    const first = records(k0, broker.subarray(0, half));
    const update = seal(k0, 22, handshakeMessage(24, Buffer.from([0])));
    brokerRecords = [...first, update, ...records(keys13(SUITE, nextSecret13(SUITE, s.sap)), broker.subarray(half))];
  } else {
    brokerRecords = records(keys13(SUITE, s.sap), broker);
  }
  const c = Buffer.concat([hello, seal(keys13(SUITE, s.chs), 22, finished), ...records(keys13(SUITE, s.cap), client)]);
  const b = Buffer.concat([plainRecord(22, serverHello), seal(keys13(SUITE, s.shs), 22, finished), ...brokerRecords]);
  const hex = cr.toString('hex');
  const keylog = `CLIENT_HANDSHAKE_TRAFFIC_SECRET ${hex} ${s.chs.toString('hex')}\nSERVER_HANDSHAKE_TRAFFIC_SECRET ${hex} ${s.shs.toString('hex')}\n` +
    `CLIENT_TRAFFIC_SECRET_0 ${hex} ${s.cap.toString('hex')}\nSERVER_TRAFFIC_SECRET_0 ${hex} ${s.sap.toString('hex')}\n`;
  return { client: c, broker: b, keylog, clientHelloEnd: hello.length };
}
