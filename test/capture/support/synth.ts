// Synthetic captures for the reassembly, hostile-file and benchmark tests: packets built byte by byte from
// the specs (Ethernet, 802.1Q, Linux SLL/SLL2, BSD NULL, IPv4 RFC 791, IPv6 RFC 8200, TCP RFC 9293) and
// written as classic pcap (µs or ns, either byte order) or pcapng (draft-ietf-opsawg-pcapng, either byte
// order, several interfaces and sections). Real-traffic fixtures come from tcpdump / dumpcap instead
// (real-capture.test.ts); these cover what real traffic on one machine does not produce on demand.
import fs from 'node:fs';

export const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

export interface Endpoint {
  ip: string; // dotted IPv4 or IPv6 text
  port: number;
}

export type Link = 'ethernet' | 'vlan' | 'qinq' | 'sll' | 'sll2' | 'null' | 'raw' | 'ipv4' | 'ipv6';
export const LINKTYPE_OF: Record<Link, number> = { ethernet: 1, vlan: 1, qinq: 1, sll: 113, sll2: 276, null: 0, raw: 101, ipv4: 228, ipv6: 229 };

function ipBytes(ip: string): Uint8Array {
  if (ip.includes(':')) {
    const [head, tail] = ip.split('::');
    const h = head ? head.split(':') : [];
    const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
    const groups = tail !== undefined ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
    const b = new Uint8Array(16);
    groups.forEach((g, i) => {
      const v = parseInt(g, 16);
      b[i * 2] = v >> 8;
      b[i * 2 + 1] = v & 0xff;
    });
    return b;
  }
  return Uint8Array.from(ip.split('.').map(Number));
}

export interface SegmentSpec {
  src: Endpoint;
  dst: Endpoint;
  seq: number;
  ack: number;
  flags: number;
  payload?: Uint8Array;
  /** IPv6 extension headers to put before TCP (hop-by-hop, then destination options). */
  ipv6Ext?: boolean;
}

/** An IP packet (v4 or v6 by the address form) carrying one TCP segment. */
export function ipPacket(s: SegmentSpec): Uint8Array {
  const payload = s.payload ?? new Uint8Array(0);
  const tcp = new Uint8Array(20 + payload.length);
  const dv = new DataView(tcp.buffer);
  dv.setUint16(0, s.src.port);
  dv.setUint16(2, s.dst.port);
  dv.setUint32(4, s.seq >>> 0);
  dv.setUint32(8, s.ack >>> 0);
  tcp[12] = 5 << 4;
  tcp[13] = s.flags;
  dv.setUint16(14, 65535);
  tcp.set(payload, 20);
  const v6 = s.src.ip.includes(':');
  if (!v6) {
    const ip = new Uint8Array(20 + tcp.length);
    const d = new DataView(ip.buffer);
    ip[0] = 0x45;
    d.setUint16(2, ip.length);
    d.setUint16(6, 0x4000); // don't fragment
    ip[8] = 64;
    ip[9] = 6;
    ip.set(ipBytes(s.src.ip), 12);
    ip.set(ipBytes(s.dst.ip), 16);
    ip.set(tcp, 20);
    return ip;
  }
  const ext = s.ipv6Ext ? 16 : 0;
  const ip = new Uint8Array(40 + ext + tcp.length);
  const d = new DataView(ip.buffer);
  ip[0] = 0x60;
  d.setUint16(4, ext + tcp.length);
  ip[6] = s.ipv6Ext ? 0 : 6; // hop-by-hop first, or TCP
  ip[7] = 64;
  ip.set(ipBytes(s.src.ip), 8);
  ip.set(ipBytes(s.dst.ip), 24);
  if (s.ipv6Ext) {
    // Hop-by-hop options (8 bytes, PadN) → destination options (8 bytes, PadN) → TCP.
    ip.set([60, 0, 1, 4, 0, 0, 0, 0], 40);
    ip.set([6, 0, 1, 4, 0, 0, 0, 0], 48);
  }
  ip.set(tcp, 40 + ext);
  return ip;
}

/** Wraps an IP packet in a link-layer header. */
export function linkFrame(link: Link, ip: Uint8Array, le = true): Uint8Array {
  const v6 = ip[0] >> 4 === 6;
  const etherType = v6 ? 0x86dd : 0x0800;
  const cat = (head: number[], pad = 0) => {
    const out = new Uint8Array(head.length + ip.length + pad);
    out.set(head);
    out.set(ip, head.length);
    return out;
  };
  const mac = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
  switch (link) {
    case 'ethernet':
      // Ethernet pads frames to 60 bytes: the padding must not be taken for payload.
      return cat([...mac, etherType >> 8, etherType & 0xff], Math.max(0, 60 - 14 - ip.length));
    case 'vlan':
      return cat([...mac, 0x81, 0x00, 0x00, 0x64, etherType >> 8, etherType & 0xff]);
    case 'qinq':
      return cat([...mac, 0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x64, etherType >> 8, etherType & 0xff]);
    case 'sll':
      // packet type 0 (to us), ARPHRD_LOOPBACK 772, address length 6, address (8 bytes), protocol.
      return cat([0, 0, 0x03, 0x04, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, etherType >> 8, etherType & 0xff]);
    case 'sll2':
      // protocol, reserved, interface index, ARPHRD, packet type, address length, address (8 bytes).
      return cat([etherType >> 8, etherType & 0xff, 0, 0, 0, 0, 0, 1, 0x03, 0x04, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]);
    case 'null': {
      const af = v6 ? 30 : 2;
      return cat(le ? [af, 0, 0, 0] : [0, 0, 0, af]);
    }
    default:
      return ip;
  }
}

export interface CapturedPacket {
  time: number; // µs
  data: Uint8Array;
  /** Length on the wire, when the capture cut the packet (snap length). */
  origLen?: number;
  /** pcapng interface id (default 0). */
  iface?: number;
}

export interface PcapOptions {
  linkType: number;
  nano?: boolean;
  bigEndian?: boolean;
  snaplen?: number;
}

/** Classic pcap (draft-ietf-opsawg-pcap): file header then records. */
export function pcapFile(packets: CapturedPacket[], o: PcapOptions): Uint8Array {
  const parts: Uint8Array[] = [pcapHeader(o)];
  for (const p of packets) parts.push(pcapRecord(p, o));
  return concat(parts);
}

export function pcapHeader(o: PcapOptions): Uint8Array {
  const h = new Uint8Array(24);
  const d = new DataView(h.buffer);
  const le = !o.bigEndian;
  d.setUint32(0, o.nano ? 0xa1b23c4d : 0xa1b2c3d4, le);
  d.setUint16(4, 2, le);
  d.setUint16(6, 4, le);
  d.setUint32(16, o.snaplen ?? 262144, le);
  d.setUint32(20, o.linkType, le);
  return h;
}

export function pcapRecord(p: CapturedPacket, o: PcapOptions): Uint8Array {
  const le = !o.bigEndian;
  const r = new Uint8Array(16 + p.data.length);
  const d = new DataView(r.buffer);
  d.setUint32(0, Math.floor(p.time / 1e6), le);
  d.setUint32(4, o.nano ? (p.time % 1e6) * 1000 + 123 : p.time % 1e6, le); // +123 ns: must be dropped, not rounded
  d.setUint32(8, p.data.length, le);
  d.setUint32(12, p.origLen ?? p.data.length, le);
  r.set(p.data, 16);
  return r;
}

export interface PcapngInterface {
  linkType: number;
  snaplen?: number;
  /** if_tsresol byte (default: absent, i.e. µs). 9 = ns; 0x80 | k = 2^-k. */
  tsresol?: number;
}

export interface PcapngSection {
  interfaces: PcapngInterface[];
  packets: CapturedPacket[];
  bigEndian?: boolean;
  /** Write the packets as Simple Packet Blocks (interface 0, no timestamps). */
  simple?: boolean;
  /** Put an unknown block and a name-resolution-like block before the packets (readers must skip them). */
  junkBlocks?: boolean;
}

function block(type: number, body: Uint8Array, le: boolean): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const total = 12 + padded;
  const b = new Uint8Array(total);
  const d = new DataView(b.buffer);
  d.setUint32(0, type, le);
  d.setUint32(4, total, le);
  b.set(body, 8);
  d.setUint32(total - 4, total, le);
  return b;
}

function tsUnits(time: number, tsresol: number | undefined): bigint {
  if (tsresol === undefined || tsresol === 6) return BigInt(time);
  if (tsresol & 0x80) return (BigInt(time) << BigInt(tsresol & 0x7f)) / 1000000n;
  return tsresol >= 6 ? BigInt(time) * 10n ** BigInt(tsresol - 6) : BigInt(time) / 10n ** BigInt(6 - tsresol);
}

/** pcapng (draft-ietf-opsawg-pcapng): one or more sections, each SHB, IDBs, then packets. */
export function pcapngFile(sections: PcapngSection[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const s of sections) {
    const le = !s.bigEndian;
    const shb = new Uint8Array(16);
    const sd = new DataView(shb.buffer);
    sd.setUint32(0, 0x1a2b3c4d, le);
    sd.setUint16(4, 1, le);
    sd.setUint16(6, 0, le);
    sd.setBigInt64(8, -1n, le);
    parts.push(block(0x0a0d0d0a, shb, le));
    for (const i of s.interfaces) {
      const body = new Uint8Array(8 + (i.tsresol !== undefined ? 12 : 0));
      const d = new DataView(body.buffer);
      d.setUint16(0, i.linkType, le);
      d.setUint32(4, i.snaplen ?? 0, le);
      if (i.tsresol !== undefined) {
        d.setUint16(8, 9, le); // if_tsresol
        d.setUint16(10, 1, le);
        body[12] = i.tsresol;
        d.setUint16(16, 0, le); // opt_endofopt
        d.setUint16(18, 0, le);
      }
      parts.push(block(1, body, le));
    }
    if (s.junkBlocks) {
      parts.push(block(0x00000bad, new Uint8Array([1, 2, 3, 4, 5]), le));
      parts.push(block(4, new Uint8Array(8), le)); // NRB with only nrb_record_end
    }
    for (const p of s.packets) {
      const iface = s.interfaces[p.iface ?? 0];
      if (s.simple) {
        const body = new Uint8Array(4 + p.data.length);
        new DataView(body.buffer).setUint32(0, p.origLen ?? p.data.length, le);
        body.set(p.data, 4);
        parts.push(block(3, body, le));
        continue;
      }
      const body = new Uint8Array(20 + ((p.data.length + 3) & ~3));
      const d = new DataView(body.buffer);
      const ts = tsUnits(p.time, iface.tsresol);
      d.setUint32(0, p.iface ?? 0, le);
      d.setUint32(4, Number(ts >> 32n), le);
      d.setUint32(8, Number(ts & 0xffffffffn), le);
      d.setUint32(12, p.data.length, le);
      d.setUint32(16, p.origLen ?? p.data.length, le);
      body.set(p.data, 20);
      parts.push(block(6, body, le));
    }
  }
  return concat(parts);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * One TCP connection's packets, with correct sequence and acknowledgement numbers: handshake, data in
 * MSS-sized segments each acknowledged, FIN both ways. Tests then drop, reorder or duplicate packets.
 */
export class Conversation {
  readonly packets: { time: number; spec: SegmentSpec }[] = [];
  private seq: Record<'c' | 'b', number>;
  time: number;

  constructor(readonly client: Endpoint, readonly broker: Endpoint, opts: { time?: number; isnC?: number; isnB?: number } = {}) {
    this.time = opts.time ?? 1_700_000_000_000_000;
    this.seq = { c: opts.isnC ?? 1000, b: opts.isnB ?? 5000 };
  }

  private ends(from: 'c' | 'b') {
    return from === 'c' ? { src: this.client, dst: this.broker } : { src: this.broker, dst: this.client };
  }

  private push(from: 'c' | 'b', flags: number, payload?: Uint8Array, step = 10) {
    this.time += step;
    const other = from === 'c' ? 'b' : 'c';
    this.packets.push({ time: this.time, spec: { ...this.ends(from), seq: this.seq[from], ack: this.seq[other], flags, payload } });
  }

  handshake(): this {
    this.push('c', TCP.SYN);
    this.seq.c = (this.seq.c + 1) >>> 0;
    this.packets[this.packets.length - 1].spec.ack = 0;
    this.push('b', TCP.SYN | TCP.ACK);
    this.seq.b = (this.seq.b + 1) >>> 0;
    this.push('c', TCP.ACK);
    return this;
  }

  /** `bytes` from one side in segments of at most `mss`, each acknowledged by the other side. */
  send(from: 'c' | 'b', bytes: Uint8Array, mss = 1460): this {
    for (let i = 0; i < bytes.length; i += mss) {
      const part = bytes.subarray(i, Math.min(bytes.length, i + mss));
      this.push(from, TCP.ACK | TCP.PSH, part);
      this.seq[from] = (this.seq[from] + part.length) >>> 0;
      this.push(from === 'c' ? 'b' : 'c', TCP.ACK);
    }
    return this;
  }

  /** Data without acknowledgements (for unidirectional / ack-less scenarios). */
  sendNoAck(from: 'c' | 'b', bytes: Uint8Array, mss = 1460): this {
    for (let i = 0; i < bytes.length; i += mss) {
      const part = bytes.subarray(i, Math.min(bytes.length, i + mss));
      this.push(from, TCP.ACK | TCP.PSH, part);
      this.seq[from] = (this.seq[from] + part.length) >>> 0;
    }
    return this;
  }

  fin(from: 'c' | 'b'): this {
    this.push(from, TCP.FIN | TCP.ACK);
    this.seq[from] = (this.seq[from] + 1) >>> 0;
    this.push(from === 'c' ? 'b' : 'c', TCP.ACK);
    return this;
  }

  rst(from: 'c' | 'b'): this {
    this.push(from, TCP.RST | TCP.ACK);
    return this;
  }

  close(): this {
    return this.fin('c').fin('b');
  }

  captured(link: Link = 'ethernet', opts: { ipv6Ext?: boolean } = {}): CapturedPacket[] {
    return this.packets.map((p) => ({ time: p.time, data: linkFrame(link, ipPacket({ ...p.spec, ipv6Ext: opts.ipv6Ext })) }));
  }
}

/** Writes a big pcap file in pieces (benchmark): `write` appends records, `close` ends it. */
export class PcapFileWriter {
  private readonly fd: number;
  private parts: Uint8Array[] = [];
  private size = 0;
  written = 0;

  constructor(file: string, private readonly o: PcapOptions) {
    this.fd = fs.openSync(file, 'w');
    this.add(pcapHeader(o));
  }

  private add(b: Uint8Array) {
    this.parts.push(b);
    this.size += b.length;
    this.written += b.length;
    if (this.size >= 8 << 20) this.flush();
  }

  packet(p: CapturedPacket): void {
    this.add(pcapRecord(p, this.o));
  }

  private flush() {
    fs.writeSync(this.fd, concat(this.parts));
    this.parts = [];
    this.size = 0;
  }

  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}

/**
 * A STOMP 1.2 connection as most capture tests start it: client 10.0.0.1:40000 → broker 10.0.0.2:61613, the TCP
 * handshake, CONNECT and CONNECTED; the test goes on from there.
 */
export function connectedConversation(): Conversation {
  const enc = (s: string) => Buffer.from(s, 'utf8');
  return new Conversation({ ip: '10.0.0.1', port: 40000 }, { ip: '10.0.0.2', port: 61613 })
    .handshake()
    .send('c', enc('CONNECT\naccept-version:1.2\nhost:/\n\n\0'))
    .send('b', enc('CONNECTED\nversion:1.2\n\n\0'));
}
