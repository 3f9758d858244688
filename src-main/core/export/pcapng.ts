// The pieces of a pcapng file (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html) and of the
// Ethernet / IPv4 / IPv6 / TCP packets inside it, for exporting a session as a capture Wireshark (and our own
// importer) reads. Little-endian sections, one Ethernet interface, microsecond timestamps (if_tsresol's
// default, so the option is left out).

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const LINKTYPE_ETHERNET = 1;
/** The longest packet we write: a whole Ethernet frame always fits. */
const SNAPLEN = 262_144;

const pad4 = (n: number) => (4 - (n % 4)) % 4;

/** One option (code, value) padded to 32 bits; an empty list of options is no bytes. */
function option(code: number, value: Buffer): Buffer {
  const b = Buffer.alloc(4 + value.length + pad4(value.length));
  b.writeUInt16LE(code, 0);
  b.writeUInt16LE(value.length, 2);
  value.copy(b, 4);
  return b;
}

function block(type: number, body: Buffer): Buffer {
  const total = 12 + body.length;
  const b = Buffer.alloc(total);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(total, 4);
  body.copy(b, 8);
  b.writeUInt32LE(total, total - 4);
  return b;
}

/** Section header block, with `shb_userappl` naming the writer and `opt_comment` saying what the file is. */
export function sectionHeaderBlock(application: string, comment: string | null): Buffer {
  const fixed = Buffer.alloc(16);
  fixed.writeUInt32LE(BYTE_ORDER_MAGIC, 0);
  fixed.writeUInt16LE(1, 4); // major
  fixed.writeUInt16LE(0, 6); // minor
  fixed.writeBigInt64LE(-1n, 8); // section length: not given
  const opts = [option(4, Buffer.from(application, 'utf8'))];
  if (comment) opts.push(option(1, Buffer.from(comment, 'utf8')));
  opts.push(Buffer.alloc(4)); // opt_endofopt
  return block(SHB, Buffer.concat([fixed, ...opts]));
}

export function interfaceDescriptionBlock(linkType = LINKTYPE_ETHERNET): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(linkType, 0);
  b.writeUInt32LE(SNAPLEN, 4);
  return block(IDB, b);
}

/** Enhanced packet block on interface 0; `timeUs` is microseconds since the epoch. */
export function enhancedPacketBlock(timeUs: number, packet: Buffer): Buffer {
  const total = 32 + packet.length + pad4(packet.length);
  const b = Buffer.alloc(total);
  b.writeUInt32LE(EPB, 0);
  b.writeUInt32LE(total, 4);
  b.writeUInt32LE(0, 8);
  const t = Math.max(0, Math.floor(timeUs));
  b.writeUInt32LE(Math.floor(t / 0x1_0000_0000), 12);
  b.writeUInt32LE(t % 0x1_0000_0000, 16);
  b.writeUInt32LE(packet.length, 20);
  b.writeUInt32LE(packet.length, 24);
  packet.copy(b, 28);
  b.writeUInt32LE(total, total - 4);
  return b;
}

// --- packets -------------------------------------------------------------------------------------------

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

export interface Address {
  /** 4 or 16 bytes. */
  ip: Buffer;
  port: number;
}

/** The two ends of a synthesized TCP connection; both addresses have the same length (family). */
export interface Endpoints {
  client: Address;
  broker: Address;
}

/** Locally administered MAC addresses (the U/L bit set): made up, and marked as such. */
const MAC_CLIENT = Buffer.from([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
const MAC_BROKER = Buffer.from([0x02, 0x00, 0x00, 0x00, 0x00, 0x02]);

/** The ones' complement sum of `b` (RFC 1071), added to `sum`, not yet folded. */
function sum16(b: Buffer, start: number, end: number, sum: number): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (i < end) sum += b[i] << 8;
  // Fold now and then so the running sum stays a small integer.
  return (sum & 0xffff) + (sum >>> 16);
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface Segment {
  fromClient: boolean;
  seq: number;
  ack: number;
  flags: number;
  payload: Buffer;
  /** IPv4 identification. */
  ipId: number;
}

/** An Ethernet frame carrying one TCP segment (no TCP options), with correct IP and TCP checksums. */
export function tcpPacket(ep: Endpoints, s: Segment): Buffer {
  const v6 = ep.client.ip.length === 16;
  const src = s.fromClient ? ep.client : ep.broker;
  const dst = s.fromClient ? ep.broker : ep.client;
  const ipLen = v6 ? 40 : 20;
  const tcpAt = 14 + ipLen;
  const tcpLen = 20 + s.payload.length;
  const b = Buffer.alloc(tcpAt + tcpLen);
  (s.fromClient ? MAC_BROKER : MAC_CLIENT).copy(b, 0);
  (s.fromClient ? MAC_CLIENT : MAC_BROKER).copy(b, 6);
  b.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
  if (v6) {
    b.writeUInt32BE(0x60000000, 14);
    b.writeUInt16BE(tcpLen, 18);
    b[20] = 6; // next header: TCP
    b[21] = 64; // hop limit
    src.ip.copy(b, 22);
    dst.ip.copy(b, 38);
  } else {
    b[14] = 0x45;
    b.writeUInt16BE(20 + tcpLen, 16);
    b.writeUInt16BE(s.ipId & 0xffff, 18);
    b.writeUInt16BE(0x4000, 20); // don't fragment
    b[22] = 64; // TTL
    b[23] = 6; // TCP
    src.ip.copy(b, 26);
    dst.ip.copy(b, 30);
    b.writeUInt16BE(fold(sum16(b, 14, 34, 0)), 24);
  }
  b.writeUInt16BE(src.port, tcpAt);
  b.writeUInt16BE(dst.port, tcpAt + 2);
  b.writeUInt32BE(s.seq >>> 0, tcpAt + 4);
  b.writeUInt32BE(s.flags & TCP_ACK ? s.ack >>> 0 : 0, tcpAt + 8);
  b[tcpAt + 12] = 5 << 4; // data offset: 20 bytes
  b[tcpAt + 13] = s.flags;
  b.writeUInt16BE(65535, tcpAt + 14); // window
  s.payload.copy(b, tcpAt + 20);
  // Pseudo-header (RFC 793 §3.1, RFC 8200 §8.1), then the segment.
  let sum = 0;
  sum = sum16(src.ip, 0, src.ip.length, sum);
  sum = sum16(dst.ip, 0, dst.ip.length, sum);
  sum += 6 + tcpLen;
  sum = sum16(b, tcpAt, b.length, sum);
  b.writeUInt16BE(fold(sum), tcpAt + 16);
  return b;
}

// --- addresses -----------------------------------------------------------------------------------------

function parseIpv4(s: string): Buffer | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? Buffer.from(parts) : null;
}

function parseIpv6(s: string): Buffer | null {
  s = s.replace(/%.*$/, ''); // zone id: not on the wire
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    const parts = h.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const b = Buffer.alloc(16);
  all.forEach((g, i) => b.writeUInt16BE(g, i * 2));
  return b;
}

/** `ip:port` or `[ipv6]:port` as recorded in connections.client / broker; the host may also be a name. */
export function splitEndpoint(text: string): { host: string; port: number | null } {
  const br = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (br) return { host: br[1], port: br[2] !== undefined ? Number(br[2]) : null };
  const i = text.lastIndexOf(':');
  if (i > 0 && text.indexOf(':') === i && /^\d+$/.test(text.slice(i + 1))) return { host: text.slice(0, i), port: Number(text.slice(i + 1)) };
  return { host: text, port: null };
}

const V4_MAPPED = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);

/**
 * The addresses to put in the packets of one connection. Recorded IP addresses are used as they are; a host
 * name (a replay's target) becomes 127.0.0.1 / ::1 for localhost, otherwise an address from the documentation
 * ranges (192.0.2.0/24, RFC 5737) so that nobody mistakes it for a real one. When the two ends are of
 * different families (a proxy listening on IPv4 in front of an IPv6 broker), IPv4 is written as IPv4-mapped
 * IPv6 (RFC 4291 §2.5.5.2). A missing port gets an ephemeral one (client) or 61613 (broker).
 */
export function endpointsOf(client: string, broker: string, connectionId: number): Endpoints {
  const resolve = (text: string, which: 'client' | 'broker') => {
    const { host, port } = splitEndpoint(text);
    let ip = parseIpv4(host) ?? parseIpv6(host);
    if (!ip) ip = host === 'localhost' ? Buffer.from([127, 0, 0, 1]) : Buffer.from([192, 0, 2, which === 'client' ? 1 : 2]);
    const p = port !== null && port <= 65535 ? port : which === 'broker' ? 61613 : 32768 + (connectionId % 28000);
    return { ip, port: p };
  };
  const c = resolve(client, 'client');
  const b = resolve(broker, 'broker');
  if (c.ip.length !== b.ip.length) {
    if (c.ip.length === 4) c.ip = Buffer.concat([V4_MAPPED, c.ip]);
    else b.ip = Buffer.concat([V4_MAPPED, b.ip]);
  }
  return { client: c, broker: b };
}
