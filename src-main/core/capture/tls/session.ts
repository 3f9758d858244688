// One TLS connection of a capture, read with a key log: the record layer of both directions (RFC 8446 §5.1,
// RFC 5246 §6.2), the handshake messages that matter (ClientHello and ServerHello for the randoms, the version and
// the cipher suite; Finished and KeyUpdate for TLS 1.3's key changes), and the decrypted application data out.
// Sans-IO apart from Node's crypto: fed the reassembled TCP streams, it calls its sink. Malformed records, wrong
// or missing keys, and records cut by the end of the capture are reported through the sink, never thrown.

import { CIPHER_SUITES, cipherSuiteName, keys12, keys13, nextSecret13, open12, open13, type CipherSuite, type TrafficKeys } from './crypto.js';
import type { KeyLabel, KeySource } from './keylog.js';
import { copyOf } from '../bytes.js';

export type Side = 0 | 1;

export interface TlsSink {
  /** Decrypted application data of `side`, in order. */
  data(side: Side, bytes: Uint8Array, time: number): void;
  /** Application data of `side` lost (a record that did not authenticate, a damaged record stream). */
  lost(side: Side, bytes: number, time: number, code: TlsIssueCode, message: string): void;
  /** Something to tell about one side that loses no data. */
  issue(side: Side | null, time: number, code: TlsIssueCode, severity: 'error' | 'warning' | 'note', message: string): void;
  /** This connection will not be decrypted (called once); `reason` says what is missing. */
  undecryptable(reason: string, time: number): void;
  /** The ServerHello was read: the version and cipher suite are known. */
  negotiated?(info: TlsInfo): void;
}

export type TlsIssueCode = 'tls-undecrypted' | 'tls-decrypt-failed' | 'tls-record-cut';

export interface TlsInfo {
  /** "TLS 1.2", "TLS 1.3". */
  version: string;
  cipherSuite: string;
}

const CT_CCS = 20;
const CT_ALERT = 21;
const CT_HANDSHAKE = 22;
const CT_APPDATA = 23;
/** Largest TLSCiphertext fragment (RFC 5246 §6.2.3: 2^14 + 2048; TLS 1.3 allows less). */
const MAX_FRAGMENT = 16384 + 2048;
/** Most handshake bytes buffered for one message (certificate chains are the big ones). */
const MAX_HANDSHAKE_MESSAGE = 1 << 20;
/** Records held per side while a growing key log may still bring their keys. */
const MAX_HELD_BYTES = 4 << 20;
/** After this many records in a row fail to authenticate, the side is given up (the keys are wrong). */
const MAX_FAILURES_IN_A_ROW = 8;
/** ServerHello.random of a HelloRetryRequest (RFC 8446 §4.1.3). */
const HRR_RANDOM = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';

interface Held {
  type: number;
  version: number;
  header: Uint8Array;
  fragment: Uint8Array;
  time: number;
}

class SideState {
  buf: Uint8Array = new Uint8Array(0);
  /** Handshake bytes not yet parsed into messages. */
  hs: Uint8Array = new Uint8Array(0);
  /** TLS 1.2: a ChangeCipherSpec was sent; records from here on are protected. */
  ccs = false;
  /** TLS 1.3: which traffic secret protects this side's records. */
  epoch: 'handshake' | 'application' = 'handshake';
  secret: Buffer | null = null;
  keys: TrafficKeys | null = null;
  /** TLS 1.3: a KeyUpdate was read in the current record; the keys change after it. */
  keyUpdate = false;
  dead = false;
  held: Held[] = [];
  heldBytes = 0;
  failures = 0;
  records = 0;
}

export class TlsSession {
  private readonly sides: [SideState, SideState] = [new SideState(), new SideState()];
  private clientRandom: Buffer | null = null;
  private serverRandom: Buffer | null = null;
  private suite: CipherSuite | null = null;
  private suiteId = -1;
  private tls13 = false;
  private opaque = false;
  info: TlsInfo | null = null;
  /** Some application data was decrypted. */
  decrypted = false;

  constructor(private readonly keys: KeySource | null, private readonly clientSide: Side, private readonly sink: TlsSink) {}

  get undecryptable(): boolean {
    return this.opaque;
  }

  private who(side: Side): string {
    return side === this.clientSide ? 'client' : 'broker';
  }

  push(side: Side, bytes: Uint8Array, time: number): void {
    const s = this.sides[side];
    if (s.dead || this.opaque) return;
    const b = joined(s.buf, bytes);
    let i = 0;
    while (b.length - i >= 5 && !s.dead && !this.opaque) {
      const type = b[i];
      const version = (b[i + 1] << 8) | b[i + 2];
      const len = (b[i + 3] << 8) | b[i + 4];
      if (type < CT_CCS || type > 24 || b[i + 1] !== 3 || len > MAX_FRAGMENT) {
        this.damaged(side, time, `bytes that are not a TLS record header (type ${type}, version 0x${version.toString(16)}, length ${len})`, b.length - i);
        return;
      }
      if (b.length - i < 5 + len) break;
      this.record(side, type, version, b.subarray(i, i + 5), b.subarray(i + 5, i + 5 + len), time);
      i += 5 + len;
    }
    s.buf = i === b.length ? new Uint8Array(0) : copyOf(b.subarray(i));
  }

  /** Bytes of `side` are missing from the capture: the records after them cannot be found. */
  gap(side: Side, bytes: number, time: number): void {
    const s = this.sides[side];
    if (s.dead || this.opaque) return;
    s.dead = true;
    s.buf = new Uint8Array(0);
    this.sink.lost(side, bytes, time, 'tls-decrypt-failed',
      `${bytes} bytes of TCP segments are not in the capture: the TLS records of the ${this.who(side)} from there on cannot be decrypted`);
  }

  /** The stream of `side` ended (FIN, RST, end of capture). */
  end(side: Side, time: number): void {
    const s = this.sides[side];
    if (s.held.length && !this.opaque) this.giveUp(time);
    if (s.buf.length && !s.dead && !this.opaque) {
      this.sink.issue(side, time, 'tls-record-cut', 'warning',
        `the ${this.who(side)}'s stream ends in the middle of a TLS record (${s.buf.length} bytes of it): its content is lost`);
    }
    s.buf = new Uint8Array(0);
    s.dead = true;
  }

  /**
   * Both streams ended: a connection whose keys were never found (no protected record came to ask for them, or
   * the capture lacks the handshake) is reported as not decrypted too.
   */
  finish(time: number): void {
    if (this.opaque || this.decrypted) return;
    if (!this.clientRandom || !this.suite || !this.keys || !this.ready(0) || !this.ready(1)) this.giveUp(time);
  }

  /** A live capture: records held for keys not in the key log yet are tried again. */
  retry(time: number): void {
    for (const side of [0, 1] as const) if (this.sides[side].held.length) this.releaseHeld(side, time);
  }

  private damaged(side: Side, time: number, what: string, bytes: number): void {
    const s = this.sides[side];
    s.dead = true;
    s.buf = new Uint8Array(0);
    this.sink.lost(side, bytes, time, 'tls-decrypt-failed',
      `the ${this.who(side)}'s TLS stream is damaged: ${what}; nothing after it in this direction can be decrypted`);
  }

  private giveUp(time: number, reason?: string): void {
    if (this.opaque) return;
    this.opaque = true;
    for (const s of this.sides) {
      s.held = [];
      s.heldBytes = 0;
    }
    this.sink.undecryptable(reason ?? this.missing(), time);
  }

  /** What is missing to decrypt this connection, in words. */
  private missing(): string {
    if (!this.clientRandom) return 'the ClientHello is not in the capture (it started after the TLS handshake)';
    if (!this.suite) {
      if (this.suiteId >= 0) return `its cipher suite ${cipherSuiteName(this.suiteId)} is not one that can be decrypted (AES-GCM and ChaCha20-Poly1305 can)`;
      return 'the ServerHello is not in the capture';
    }
    if (!this.keys) return 'no key log was given (--tls-keylog FILE, the file SSLKEYLOGFILE or --tls-keylog made)';
    const cr = this.clientRandom.toString('hex');
    const labels = this.tls13 ? ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0'] : ['CLIENT_RANDOM'];
    const absent = labels.filter((l) => !this.keys!.get(l as KeyLabel, cr));
    return `${this.keys.label} has no ${absent.join(', ') || labels.join(', ')} for client random ${cr}: it was written by another session`;
  }

  private record(side: Side, type: number, version: number, header: Uint8Array, fragment: Uint8Array, time: number): void {
    const s = this.sides[side];
    s.records++;
    if (type === CT_CCS) {
      // TLS 1.2: from here on this side's records are protected (RFC 5246 §7.1). TLS 1.3 sends one only for
      // middlebox compatibility (RFC 8446 §D.4), unprotected, and it changes nothing.
      if (!this.tls13) s.ccs = true;
      return;
    }
    if (type === CT_APPDATA && !this.info) {
      // Protected records before the ServerHello was seen: the capture holds them in another order than they were
      // sent (the two directions are merged by capture time), or the client sent early data. They wait for it.
      this.hold(side, { type, version, header: copyOf(header), fragment: copyOf(fragment), time });
      return;
    }
    const protectedRecord = this.tls13 ? type === CT_APPDATA : s.ccs;
    if (!protectedRecord) {
      if (type === CT_HANDSHAKE) this.handshake(side, fragment, time);
      else if (type === CT_APPDATA) this.damaged(side, time, 'application data before the handshake protected it', fragment.length);
      return;
    }
    if (s.held.length) {
      this.hold(side, { type, version, header: copyOf(header), fragment: copyOf(fragment), time });
      return;
    }
    if (!this.ready(side)) {
      if (this.opaque) return;
      if (this.keys?.live && this.suite) this.hold(side, { type, version, header: copyOf(header), fragment: copyOf(fragment), time });
      else this.giveUp(time);
      return;
    }
    this.decrypt(side, type, version, header, fragment, time);
  }

  private hold(side: Side, h: Held): void {
    const s = this.sides[side];
    s.held.push(h);
    s.heldBytes += h.fragment.length;
    if (this.ready(side)) return this.releaseHeld(side, h.time);
    // Keys that are not there now never will be, unless the key log is still being written.
    if (s.heldBytes > MAX_HELD_BYTES || (this.info && !this.keys?.live)) this.giveUp(h.time);
  }

  private releaseHeld(side: Side, time: number): void {
    const s = this.sides[side];
    while (s.held.length && !this.opaque && !s.dead) {
      if (!this.ready(side)) {
        if (this.info && !this.keys?.live) this.giveUp(time);
        return;
      }
      const h = s.held.shift()!;
      s.heldBytes -= h.fragment.length;
      this.decrypt(side, h.type, h.version, h.header, h.fragment, h.time);
    }
  }

  /** The keys of `side`'s current epoch, derived from the key log if not yet: false when they are not there. */
  private ready(side: Side): boolean {
    const s = this.sides[side];
    if (s.keys) return true;
    if (!this.suite || !this.clientRandom || !this.keys) return false;
    const cr = this.clientRandom.toString('hex');
    if (!this.tls13) {
      const master = this.keys.get('CLIENT_RANDOM', cr);
      if (!master || !this.serverRandom) return false;
      const k = keys12(this.suite, master, this.clientRandom, this.serverRandom);
      const c = this.sides[this.clientSide];
      const v = this.sides[(1 - this.clientSide) as Side];
      // Sequence numbers restart at the ChangeCipherSpec (RFC 5246 §6.1): each side's keys are created once.
      c.keys ??= k.client;
      v.keys ??= k.server;
      return true;
    }
    const client = side === this.clientSide;
    const label = (s.epoch === 'handshake'
      ? client ? 'CLIENT_HANDSHAKE_TRAFFIC_SECRET' : 'SERVER_HANDSHAKE_TRAFFIC_SECRET'
      : client ? 'CLIENT_TRAFFIC_SECRET_0' : 'SERVER_TRAFFIC_SECRET_0') as KeyLabel;
    const secret = s.secret ?? this.keys.get(label, cr);
    if (!secret) return false;
    s.secret = secret;
    s.keys = keys13(this.suite, secret);
    return true;
  }

  private decrypt(side: Side, type: number, version: number, header: Uint8Array, fragment: Uint8Array, time: number): void {
    const s = this.sides[side];
    const suite = this.suite!;
    const keys = s.keys!;
    const seq = keys.seq;
    let content: Buffer | null;
    let inner = type;
    if (this.tls13) {
      const r = open13(suite, keys, header, fragment);
      if (r === 'empty') return;
      content = r ? r.content : null;
      if (r) inner = r.type;
    } else {
      content = open12(suite, keys, type, version, fragment);
    }
    if (!content) {
      s.failures++;
      const lost = Math.max(0, fragment.length - 16 - (this.tls13 ? 1 : suite.aead === 'chacha20-poly1305' ? 0 : 8));
      const why = s.failures === 1 && seq === 0n
        ? `the first protected record of the ${this.who(side)} does not authenticate with the key log's keys (the keys are not this connection's, or the record is damaged)`
        : `TLS record ${seq} of the ${this.who(side)} (${fragment.length} bytes) does not authenticate: it is damaged`;
      if (s.failures >= MAX_FAILURES_IN_A_ROW) {
        this.damaged(side, time, `${MAX_FAILURES_IN_A_ROW} records in a row do not authenticate: the keys are wrong`, lost);
        return;
      }
      this.sink.lost(side, lost, time, 'tls-decrypt-failed', `${why}; ${lost} bytes of its content are lost`);
      return;
    }
    s.failures = 0;
    if (inner === CT_APPDATA) {
      if (content.length) {
        this.decrypted = true;
        this.sink.data(side, content, time);
      }
    } else if (inner === CT_HANDSHAKE) {
      this.handshake(side, content, time);
      if (this.tls13 && s.keyUpdate) {
        // RFC 8446 §4.6.3: the sender's next records use the next traffic secret.
        s.keyUpdate = false;
        s.secret = nextSecret13(suite, s.secret!);
        s.keys = keys13(suite, s.secret);
      }
    } else if (inner === CT_ALERT && content.length >= 2 && content[1] !== 0) {
      this.sink.issue(side, time, 'tls-decrypt-failed', 'note', `the ${this.who(side)} sent a TLS alert (level ${content[0]}, description ${content[1]})`);
    }
  }

  private handshake(side: Side, bytes: Uint8Array, time: number): void {
    const s = this.sides[side];
    const b = joined(s.hs, bytes);
    let i = 0;
    while (b.length - i >= 4) {
      const len = (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3];
      if (len > MAX_HANDSHAKE_MESSAGE) {
        // Not a handshake message we could read; the records go on, but nothing more is learnt from this side's.
        s.hs = new Uint8Array(0);
        return;
      }
      if (b.length - i < 4 + len) break;
      this.message(side, b[i], b.subarray(i + 4, i + 4 + len), time);
      i += 4 + len;
    }
    s.hs = i === b.length ? new Uint8Array(0) : copyOf(b.subarray(i));
  }

  private message(side: Side, type: number, body: Uint8Array, time: number): void {
    const s = this.sides[side];
    if (type === 1 && side === this.clientSide && body.length >= 34) {
      this.clientRandom = Buffer.from(body.subarray(2, 34));
    } else if (type === 2 && side !== this.clientSide && body.length >= 38) {
      this.serverHello(body, time);
    } else if (type === 20 && this.tls13 && s.epoch === 'handshake') {
      // Finished ends this side's handshake flight: application traffic keys from the next record (RFC 8446 §7.1).
      s.epoch = 'application';
      s.secret = null;
      s.keys = null;
    } else if (type === 24 && this.tls13) {
      s.keyUpdate = true;
    }
  }

  private serverHello(b: Uint8Array, time: number): void {
    const random = Buffer.from(b.subarray(2, 34));
    if (random.toString('hex') === HRR_RANDOM) return; // a HelloRetryRequest: the real ServerHello follows
    this.serverRandom = random;
    let i = 34;
    const sid = b[i];
    i += 1 + sid;
    if (b.length < i + 3) return;
    const suite = (b[i] << 8) | b[i + 1];
    i += 3;
    let version = (b[0] << 8) | b[1];
    if (b.length >= i + 2) {
      const end = Math.min(b.length, i + 2 + ((b[i] << 8) | b[i + 1]));
      i += 2;
      while (i + 4 <= end) {
        const t = (b[i] << 8) | b[i + 1];
        const l = (b[i + 2] << 8) | b[i + 3];
        if (t === 43 && l === 2 && i + 6 <= end) version = (b[i + 4] << 8) | b[i + 5]; // supported_versions (RFC 8446 §4.2.1)
        i += 4 + l;
      }
    }
    this.suiteId = suite;
    this.tls13 = version === 0x0304;
    const known = CIPHER_SUITES.get(suite);
    this.suite = known && known.tls13 === this.tls13 ? known : null;
    const names: Record<number, string> = { 0x0300: 'SSL 3.0', 0x0301: 'TLS 1.0', 0x0302: 'TLS 1.1', 0x0303: 'TLS 1.2', 0x0304: 'TLS 1.3' };
    this.info = { version: names[version] ?? `0x${version.toString(16)}`, cipherSuite: cipherSuiteName(suite) };
    this.sink.negotiated?.(this.info);
    if (!this.suite) return this.giveUp(time);
    this.retry(time);
  }
}

/** `rest` (what a side left unread: a record or handshake message cut between reads) followed by `bytes`. */
function joined(rest: Uint8Array, bytes: Uint8Array): Uint8Array {
  if (!rest.length) return bytes;
  const c = new Uint8Array(rest.length + bytes.length);
  c.set(rest);
  c.set(bytes, rest.length);
  return c;
}
