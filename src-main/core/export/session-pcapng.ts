// A session as a pcapng capture: every connection becomes a TCP conversation with synthesized Ethernet, IP and
// TCP headers (the addresses and ports recorded in connections.client / broker), carrying exactly the bytes
// of the session's raw file. Works for any session kind: proxy, import, replay.
//
// TCP: a SYN / SYN-ACK / ACK handshake at the connection's open time; sequence numbers continuous per
// direction from a fixed initial number; data in segments of at most MSS (1460) payload bytes, as on an
// Ethernet link with a 1500-byte MTU; FIN / FIN / ACK at the close time when the connection was closed. Bytes
// the recording does not hold (a `tcp-gap` of an imported capture) are left out and the sequence numbers jump
// over them, so readers see the same hole.
//
// Time: raw chunks carry no time, so each direction is cut after every frame and heart-beat, and each piece
// is stamped with that frame's or heart-beat's stored time; bytes after the last one get the close time. The
// two directions are interleaved in the recorded order (frames by their seq within the connection, heart-beats
// by time), and connections by time. Timestamps never go backwards within a connection.
//
// STOMP over WebSocket / SockJS: the recording holds the STOMP stream inside the messages, not the WebSocket
// framing, so the capture carries that stream as plain TCP between the recorded ends (the upgrade and the
// framing are not re-synthesized).
//
// Masking (the default): the values of credential headers (login, passcode, token-like names; shared/stomp/
// secrets.ts) are overwritten with '*' in place, byte for byte, in the exported bytes. Lengths, offsets and
// content-length stay true, so the capture still decodes, but these bytes are no longer the wire's. Only
// header values are touched, never names or bodies.
import type { StoreReader, ConnectionInfo } from '../store/reader.js';
import { RawFileReader } from '../store/raw-files.js';
import { maskRawFrame, mayHoldSecret } from '../../../shared/stomp/secrets.js';
import { CR, LF } from '../../../shared/stomp/spec.js';
import type { Direction } from '../../../shared/stomp/types.js';
import {
  enhancedPacketBlock, endpointsOf, interfaceDescriptionBlock, sectionHeaderBlock, tcpPacket, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN,
  type Endpoints,
} from './pcapng.js';

/** TCP payload bytes per segment: the MSS of a 1500-byte Ethernet MTU (1500 - 20 IPv4 - 20 TCP). */
export const MSS = 1460;
const PAGE = 500;

export interface PcapngExportOptions {
  /** Only this connection of the session. */
  connection?: number | null;
  /** Keep credentials as recorded (default: masked). */
  revealSecrets?: boolean;
  /** Name of the application for the section header. */
  application?: string;
}

export interface PcapngExportStats {
  connections: number;
  packets: number;
  bytes: number;
  /** Bytes the recording does not hold (gaps), skipped over by the sequence numbers. */
  missingBytes: number;
}

interface Cut {
  /** Stream offset where the piece ends (exclusive). */
  end: number;
  time: number;
  /** The frame's seq within the connection; null for a heart-beat or the bytes after the last frame. */
  seq: number | null;
  /** For a frame that may carry credentials: where it starts, to mask it. */
  maskFrom: number | null;
}

interface Piece {
  offset: number;
  data: Buffer;
}

const DIR_CODE: Record<Direction, number> = { client: 0, broker: 1 };

/** Reads one direction's bytes forward, through the chunk index, leaving out what was never recorded. */
class StreamCursor {
  private chunks: Array<{ offset: number; length: number; file_offset: number }> = [];
  private lastLoaded = -1;
  private done = false;

  constructor(private readonly ctx: Ctx, private readonly conn: ConnectionInfo, private readonly dir: number) {}

  /** The recorded pieces of [start, end). */
  read(start: number, end: number): Piece[] {
    const out: Piece[] = [];
    for (;;) {
      while (this.chunks.length && this.chunks[0].offset + this.chunks[0].length <= start) this.chunks.shift();
      if (!this.chunks.length || this.chunks[this.chunks.length - 1].offset + this.chunks[this.chunks.length - 1].length < end) {
        if (!this.done && this.load()) continue;
      }
      break;
    }
    for (const c of this.chunks) {
      if (c.offset >= end) break;
      const from = Math.max(start, c.offset);
      const to = Math.min(end, c.offset + c.length);
      if (to <= from) continue;
      const data = this.ctx.raw.read(this.conn.sessionId, c.file_offset + (from - c.offset), to - from);
      if (data) out.push({ offset: from, data });
    }
    return out;
  }

  private load(): boolean {
    const rows = this.ctx.s.chunks.all(this.conn.id, this.dir, this.lastLoaded, PAGE) as Array<{ offset: number; length: number; file_offset: number }>;
    if (rows.length < PAGE) this.done = true;
    if (!rows.length) return false;
    this.chunks.push(...rows);
    this.lastLoaded = rows[rows.length - 1].offset;
    return true;
  }
}

interface Ctx {
  reader: StoreReader;
  raw: RawFileReader;
  s: ReturnType<typeof statements>;
  reveal: boolean;
}

function statements(reader: StoreReader) {
  const db = reader.db;
  return {
    chunks: db.prepare(`SELECT offset, length, file_offset FROM chunks WHERE connection_id = ? AND dir = ? AND offset > ? ORDER BY offset LIMIT ?`),
    streamEnd: db.prepare(`SELECT max(offset + length) FROM chunks WHERE connection_id = ? AND dir = ?`).pluck(),
    frames: db.prepare(`SELECT seq, time, offset, length, headers, issues FROM frames WHERE connection_id = ? AND dir = ? AND seq > ? ORDER BY seq LIMIT ?`),
    heartbeats: db.prepare(`SELECT time, offset FROM heartbeats WHERE connection_id = ? AND dir = ? AND (time > @t OR (time = @t AND offset > @o))
      ORDER BY time, offset LIMIT @limit`),
    lastTime: db.prepare(`SELECT max(time) FROM frames WHERE connection_id = ?`).pluck(),
  };
}

/** The cuts of one direction in stream order: after each frame and each heart-beat, then at the stream's end. */
function* cutsOf(ctx: Ctx, conn: ConnectionInfo, dir: number, endTime: number): Generator<Cut> {
  const frames = (function* () {
    let after = -1;
    for (;;) {
      const rows = ctx.s.frames.all(conn.id, dir, after, PAGE) as Array<{ seq: number; time: number; offset: number; length: number; headers: string; issues: number }>;
      for (const r of rows) yield r;
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1].seq;
    }
  })();
  const heartbeats = (function* () {
    let t = Number.MIN_SAFE_INTEGER;
    let o = -1;
    for (;;) {
      const rows = ctx.s.heartbeats.all(conn.id, dir, { t, o, limit: PAGE }) as Array<{ time: number; offset: number }>;
      for (const r of rows) yield r;
      if (rows.length < PAGE) return;
      t = rows[rows.length - 1].time;
      o = rows[rows.length - 1].offset;
    }
  })();
  let f = frames.next();
  let h = heartbeats.next();
  while (!f.done || !h.done) {
    if (!f.done && (h.done || f.value.offset <= h.value.offset)) {
      const r = f.value;
      // A cheap look at the stored header JSON: only frames that may hold a credential go through maskRawFrame,
      // and frames with issues (a malformed line such as `passcode=…` is not among the stored headers).
      yield { end: r.offset + r.length, time: r.time, seq: r.seq, maskFrom: !ctx.reveal && (r.issues > 0 || mayHoldSecret(r.headers)) ? r.offset : null };
      f = frames.next();
    } else if (!h.done) {
      // The store keeps where a heart-beat starts, not its length: a CRLF one is two bytes, kept in one piece.
      const eol = ctx.reader.readBytes(conn.id, dir === 0 ? 'client' : 'broker', h.value.offset, 2);
      const length = eol && eol[0] === CR && eol[1] === LF ? 2 : 1;
      yield { end: h.value.offset + length, time: h.value.time, seq: null, maskFrom: null };
      h = heartbeats.next();
    }
  }
  const end = (ctx.s.streamEnd.get(conn.id, dir) as number | null) ?? 0;
  yield { end, time: endTime, seq: null, maskFrom: null };
}

interface Unit {
  dir: Direction;
  start: number;
  cut: Cut;
}

/** One direction's units: [previous cut, this cut), empty ones left out. */
function* unitsOf(ctx: Ctx, conn: ConnectionInfo, dir: Direction, endTime: number): Generator<Unit> {
  let pos = 0;
  for (const cut of cutsOf(ctx, conn, DIR_CODE[dir], endTime)) {
    if (cut.end <= pos) continue;
    yield { dir, start: pos, cut };
    pos = cut.end;
  }
}

/** Does unit `a` go before unit `b` (of the other direction)? Frames by seq; otherwise by time, heart-beats first on a tie. */
function before(a: Unit, b: Unit): boolean {
  if (a.cut.seq !== null && b.cut.seq !== null) return a.cut.seq < b.cut.seq;
  if (a.cut.time !== b.cut.time) return a.cut.time < b.cut.time;
  return a.cut.seq === null;
}

interface Packet {
  time: number;
  data: Buffer;
}

/** The packets of one connection, in order, timestamps never decreasing. */
function* connectionPackets(ctx: Ctx, conn: ConnectionInfo, stats: PcapngExportStats): Generator<Packet> {
  const ep: Endpoints = endpointsOf(conn.client, conn.broker, conn.id);
  // Fixed initial sequence numbers (derived from the connection id): the same session exports to the same bytes.
  const isn = { client: (Math.imul(conn.id, 2654435761) ^ 0x5354) >>> 0, broker: (Math.imul(conn.id + 1, 40503) * 65537) >>> 0 };
  const next = { client: (isn.client + 1) >>> 0, broker: (isn.broker + 1) >>> 0 };
  const streamPos = { client: 0, broker: 0 };
  const ipId = { client: 1, broker: 1 };
  const lastTime = (ctx.s.lastTime.get(conn.id) as number | null) ?? conn.opened;
  const endTime = conn.closed ?? lastTime;
  let t = conn.opened;
  const packet = (dir: Direction, flags: number, seq: number, payload: Buffer = Buffer.alloc(0)): Packet => {
    const other: Direction = dir === 'client' ? 'broker' : 'client';
    stats.packets++;
    stats.bytes += payload.length;
    return { time: t, data: tcpPacket(ep, { fromClient: dir === 'client', seq, ack: next[other], flags, payload, ipId: ipId[dir]++ }) };
  };

  yield packet('client', TCP_SYN, isn.client);
  yield packet('broker', TCP_SYN | TCP_ACK, isn.broker);
  yield packet('client', TCP_ACK, next.client);

  const cursors = { client: new StreamCursor(ctx, conn, 0), broker: new StreamCursor(ctx, conn, 1) };
  const iters = { client: unitsOf(ctx, conn, 'client', endTime), broker: unitsOf(ctx, conn, 'broker', endTime) };
  let c = iters.client.next();
  let b = iters.broker.next();
  while (!c.done || !b.done) {
    let u: Unit;
    if (!c.done && (b.done || before(c.value, b.value))) {
      u = c.value;
      c = iters.client.next();
    } else {
      u = (b as IteratorYieldResult<Unit>).value;
      b = iters.broker.next();
    }
    t = Math.max(t, u.cut.time);
    const d = u.dir;
    for (const piece of readUnit(cursors[d], u)) {
      if (piece.offset > streamPos[d]) {
        stats.missingBytes += piece.offset - streamPos[d];
        next[d] = (next[d] + (piece.offset - streamPos[d])) >>> 0;
      }
      for (let at = 0; at < piece.data.length; at += MSS) {
        const seg = piece.data.subarray(at, Math.min(piece.data.length, at + MSS));
        const last = at + MSS >= piece.data.length;
        yield packet(d, last ? TCP_PSH | TCP_ACK : TCP_ACK, next[d], seg);
        next[d] = (next[d] + seg.length) >>> 0;
      }
      streamPos[d] = piece.offset + piece.data.length;
    }
  }
  if (conn.closed !== null) {
    t = Math.max(t, conn.closed);
    for (const d of ['client', 'broker'] as const) {
      const end = (ctx.s.streamEnd.get(conn.id, DIR_CODE[d]) as number | null) ?? 0;
      if (end > streamPos[d]) {
        stats.missingBytes += end - streamPos[d];
        next[d] = (next[d] + (end - streamPos[d])) >>> 0;
        streamPos[d] = end;
      }
    }
    const first: Direction = /broker|upstream|server/i.test(conn.closeReason ?? '') ? 'broker' : 'client';
    const second: Direction = first === 'client' ? 'broker' : 'client';
    yield packet(first, TCP_FIN | TCP_ACK, next[first]);
    next[first] = (next[first] + 1) >>> 0;
    yield packet(second, TCP_FIN | TCP_ACK, next[second]);
    next[second] = (next[second] + 1) >>> 0;
    yield packet(first, TCP_ACK, next[first]);
  }
}

/** The recorded bytes of a unit, masked when it ends a frame that may carry credentials. */
function readUnit(cursor: StreamCursor, u: Unit): Piece[] {
  const pieces = cursor.read(u.start, u.cut.end);
  const from = u.cut.maskFrom;
  if (from === null) return pieces;
  return pieces.map((p) => {
    if (from < p.offset || from >= p.offset + p.data.length) return p;
    const at = from - p.offset;
    const masked = maskRawFrame(p.data.subarray(at));
    if (masked === p.data.subarray(at)) return p;
    return { offset: p.offset, data: Buffer.concat([p.data.subarray(0, at), Buffer.from(masked)]) };
  });
}

/**
 * The whole pcapng file of a session, block by block. The caller writes the buffers where it wants them;
 * `stats` fills in as the generator runs.
 */
export function* sessionPcapng(reader: StoreReader, sessionId: number, opts: PcapngExportOptions, stats: PcapngExportStats): Generator<Buffer> {
  const ctx: Ctx = { reader, raw: new RawFileReader(reader.db.name), s: statements(reader), reveal: !!opts.revealSecrets };
  try {
    const conns = reader.connections(sessionId).filter((c) => opts.connection == null || c.id === opts.connection).sort((a, b) => a.opened - b.opened || a.id - b.id);
    stats.connections = conns.length;
    // The connection as people read it: its number within the session (#k), then its id.
    const only = opts.connection != null ? conns[0] : undefined;
    const comment = `StompScope session ${sessionId}${opts.connection != null ? `, connection ${only ? `#${only.number} (id ${opts.connection})` : opts.connection}` : ''}; TCP/IP headers synthesized` +
      (opts.revealSecrets ? '' : '; credential header values masked with *');
    yield sectionHeaderBlock(opts.application ?? 'StompScope', comment);
    yield interfaceDescriptionBlock();
    // Connections merged by time (a heap of the open ones): a connection joins once the earliest pending
    // packet is not before its open time, so only connections open at the same time are held at once.
    const heap = new PacketHeap();
    let i = 0;
    let order = 0;
    for (;;) {
      const top = heap.peek();
      if (i < conns.length && (!top || conns[i].opened <= top.head.time)) {
        const it = connectionPackets(ctx, conns[i++], stats);
        const r = it.next();
        if (!r.done) heap.push({ it, head: r.value, order: order++ });
        continue;
      }
      if (!top) break;
      yield enhancedPacketBlock(top.head.time, top.head.data);
      const r = top.it.next();
      if (r.done) heap.pop();
      else {
        top.head = r.value;
        heap.siftDown(0);
      }
    }
  } finally {
    ctx.raw.close();
  }
}

interface Stream {
  it: Generator<Packet>;
  head: Packet;
  /** Tie-break: earlier-opened connections first. */
  order: number;
}

/** A binary min-heap of connections by the time of their next packet. */
class PacketHeap {
  private readonly a: Stream[] = [];

  peek(): Stream | undefined {
    return this.a[0];
  }

  private less(x: Stream, y: Stream): boolean {
    return x.head.time < y.head.time || (x.head.time === y.head.time && x.order < y.order);
  }

  push(s: Stream): void {
    const a = this.a;
    a.push(s);
    let k = a.length - 1;
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (!this.less(a[k], a[p])) break;
      [a[k], a[p]] = [a[p], a[k]];
      k = p;
    }
  }

  pop(): void {
    const last = this.a.pop()!;
    if (this.a.length) {
      this.a[0] = last;
      this.siftDown(0);
    }
  }

  siftDown(k: number): void {
    const a = this.a;
    for (;;) {
      const l = 2 * k + 1;
      const r = l + 1;
      let m = k;
      if (l < a.length && this.less(a[l], a[m])) m = l;
      if (r < a.length && this.less(a[r], a[m])) m = r;
      if (m === k) return;
      [a[k], a[m]] = [a[m], a[k]];
      k = m;
    }
  }
}
