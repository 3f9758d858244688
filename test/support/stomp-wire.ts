// A deliberately small, independent STOMP splitter used as the tests' oracle. It is NOT the product's decoder
// (shared/stomp/): it only has to read well-formed streams from real clients and brokers, and throws on
// anything else, so that a bug in the product's decoder cannot hide itself by being used to check itself.
import { createHash } from 'node:crypto';

export type Version = '1.0' | '1.1' | '1.2';

export interface WireFrame {
  command: string;
  /** Header lines as on the wire (still escaped), in order, repeats kept. */
  rawHeaders: [string, string][];
  body: Buffer;
  /** Byte offset of the command's first byte in this direction's stream. */
  offset: number;
}

export type WireEvent = { kind: 'frame'; frame: WireFrame } | { kind: 'heartbeat'; offset: number };

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Incremental: feed chunks, get complete frames and heart-beats (EOLs between frames) as they complete. */
export class WireSplitter {
  private buf: Buffer = Buffer.alloc(0);
  private base = 0; // stream offset of buf[0]

  feed(chunk: Uint8Array): WireEvent[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.from(chunk);
    const out: WireEvent[] = [];
    for (;;) {
      const b = this.buf;
      if (b.length === 0) break;
      if (b[0] === 0x0a) {
        out.push({ kind: 'heartbeat', offset: this.base });
        this.consume(1);
        continue;
      }
      if (b[0] === 0x0d) {
        if (b.length < 2) break;
        if (b[1] !== 0x0a) throw new Error(`CR not followed by LF at offset ${this.base}`);
        out.push({ kind: 'heartbeat', offset: this.base });
        this.consume(2);
        continue;
      }
      // Header block ends at the first empty line (LF LF, or with CRs: CRLF CRLF, LF CRLF, CRLF LF).
      let headEnd = -1;
      let bodyStart = -1;
      for (let i = 0; i < b.length; i++) {
        if (b[i] !== 0x0a) continue;
        if (b[i + 1] === 0x0a) {
          headEnd = i;
          bodyStart = i + 2;
          break;
        }
        if (b[i + 1] === 0x0d && b[i + 2] === 0x0a) {
          headEnd = i;
          bodyStart = i + 3;
          break;
        }
        if (i + 2 >= b.length) break;
      }
      if (headEnd < 0) break;
      const lines = b.subarray(0, headEnd).toString('utf8').split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
      const command = lines[0];
      if (!/^[A-Z]+$/.test(command)) throw new Error(`not a STOMP command at offset ${this.base}: ${JSON.stringify(command.slice(0, 40))}`);
      const rawHeaders = lines.slice(1).map((l): [string, string] => {
        const i = l.indexOf(':');
        if (i < 0) throw new Error(`header line without ':' at offset ${this.base}: ${JSON.stringify(l)}`);
        return [l.slice(0, i), l.slice(i + 1)];
      });
      const cl = rawHeaders.find(([k]) => k === 'content-length');
      let bodyEnd: number;
      if (cl) {
        const n = Number(cl[1]);
        if (!Number.isInteger(n) || n < 0) throw new Error(`bad content-length ${cl[1]}`);
        if (b.length < bodyStart + n + 1) break;
        if (b[bodyStart + n] !== 0) throw new Error(`no NUL after content-length bytes at offset ${this.base}`);
        bodyEnd = bodyStart + n;
      } else {
        bodyEnd = b.indexOf(0, bodyStart);
        if (bodyEnd < 0) break;
      }
      out.push({ kind: 'frame', frame: { command, rawHeaders, body: Buffer.from(b.subarray(bodyStart, bodyEnd)), offset: this.base } });
      this.consume(bodyEnd + 1);
    }
    return out;
  }

  /** Bytes not yet part of a complete frame or heart-beat. */
  get pending(): number {
    return this.buf.length;
  }

  private consume(n: number) {
    this.buf = this.buf.subarray(n);
    this.base += n;
  }
}

/**
 * Split a whole recorded stream; throws if it does not end on a frame boundary. `heartbeats`: the EOLs between
 * frames except the one directly after a frame's NUL, which only ends that frame (the streams checked with it
 * negotiate heart-beats both ways).
 */
export function splitStream(stream: Uint8Array): { frames: WireFrame[]; heartbeats: number } {
  const s = new WireSplitter();
  const events = s.feed(stream);
  if (s.pending) throw new Error(`stream ends inside a frame (${s.pending} bytes pending)`);
  return {
    frames: events.flatMap((e) => (e.kind === 'frame' ? [e.frame] : [])),
    heartbeats: events.filter((e, i) => e.kind === 'heartbeat' && i > 0 && events[i - 1].kind === 'heartbeat').length +
      (events[0]?.kind === 'heartbeat' ? 1 : 0),
  };
}

const UNESCAPE: Record<Version, Record<string, string> | null> = {
  '1.0': null,
  '1.1': { n: '\n', c: ':', '\\': '\\' },
  '1.2': { n: '\n', c: ':', '\\': '\\', r: '\r' },
};

/** Header values as the reader sees them: unescaped per version; CONNECT, STOMP, CONNECTED never are. */
export function unescapeHeaders(command: string, raw: [string, string][], version: Version): [string, string][] {
  const table = UNESCAPE[version];
  if (!table || command === 'CONNECT' || command === 'STOMP' || command === 'CONNECTED') return raw.map(([k, v]) => [k, v]);
  const un = (s: string) =>
    s.replace(/\\(.)/gs, (_m, c: string) => {
      const r = table[c];
      if (r === undefined) throw new Error(`undefined escape \\${c} in ${JSON.stringify(s)}`);
      return r;
    });
  return raw.map(([k, v]) => [un(k), un(v)]);
}

/** Text if the bytes are valid UTF-8, else null (the frames JSONL contract for `body`). */
export function bodyText(b: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return null;
  }
}

/** What a frame looks like in the frames JSONL contract, computed independently from wire bytes. */
export interface ExpectedFrame {
  command: string;
  headers: [string, string][];
  bodyLength: number;
  bodySha256: string;
  body: string | null;
}

export function expectFrame(f: WireFrame, version: Version): ExpectedFrame {
  return {
    command: f.command,
    headers: unescapeHeaders(f.command, f.rawHeaders, version),
    bodyLength: f.body.length,
    bodySha256: sha256(f.body),
    body: bodyText(f.body),
  };
}

/** The version a connection negotiated: the CONNECTED frame's `version` header (1.0 when absent). */
export function negotiatedVersion(brokerFrames: WireFrame[]): Version {
  const connected = brokerFrames.find((f) => f.command === 'CONNECTED');
  const v = connected?.rawHeaders.find(([k]) => k === 'version')?.[1];
  return v === '1.1' || v === '1.2' ? v : '1.0';
}
