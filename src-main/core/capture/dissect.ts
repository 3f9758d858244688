// From a captured packet to a TCP segment: link layer, IPv4 / IPv6, TCP. One reused result object, no
// allocation per packet except the flow key string.
//
// Link layers (tcpdump.org/linktypes.html): Ethernet with any number of 802.1Q / 802.1ad (QinQ) tags, Linux
// cooked SLL (16-byte header, protocol at offset 14) and SLL2 (20-byte header, protocol at offset 0), BSD
// NULL (4-byte address family in the writer's byte order) and OpenBSD LOOP (network order), raw IP.
// IPv4 (RFC 791) and IPv6 (RFC 8200) with its extension headers skipped (§4); fragments are not reassembled
// (TCP over IP fragments is rare: TCP sizes its segments to avoid them) but counted.

import { LINKTYPE } from './format.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100; // 802.1Q
const ETHERTYPE_QINQ = 0x88a8; // 802.1ad service tag
const ETHERTYPE_QINQ_OLD = 0x9100; // pre-standard QinQ
const IPPROTO_TCP = 6;

// IPv6 extension headers that may precede TCP (RFC 8200 §4; IANA "IPv6 Extension Header Types").
const EXT_HOP_BY_HOP = 0;
const EXT_ROUTING = 43;
const EXT_FRAGMENT = 44;
const EXT_ESP = 50;
const EXT_AH = 51;
const EXT_NONE = 59;
const EXT_DEST_OPTS = 60;
const EXT_MOBILITY = 135;
const EXT_HIP = 139;
const EXT_SHIM6 = 140;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

/** Why a packet was not a TCP segment we can use. */
export type Skip = 'link' | 'not-ip' | 'not-tcp' | 'fragment' | 'truncated' | 'malformed';

export class TcpPacket {
  data: Uint8Array = new Uint8Array(0);
  ipVersion = 4;
  /** Offsets of the source and destination addresses in `data` (4 or 16 bytes each). */
  srcAt = 0;
  dstAt = 0;
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  /** Captured payload: data[payloadAt, payloadAt + payloadLength). */
  payloadAt = 0;
  payloadLength = 0;
  /** Payload bytes the packet carried on the wire but the capture cut (snap length). */
  cutLength = 0;
  /** Canonical key of the flow (the same both ways) and the source endpoint's key within it. */
  flowKey = '';
  srcKey = '';

  get payload(): Uint8Array {
    return this.data.subarray(this.payloadAt, this.payloadAt + this.payloadLength);
  }

  address(which: 'src' | 'dst'): string {
    return formatIp(this.data, which === 'src' ? this.srcAt : this.dstAt, this.ipVersion);
  }

  endpoint(which: 'src' | 'dst'): string {
    const ip = this.address(which);
    const port = which === 'src' ? this.srcPort : this.dstPort;
    return this.ipVersion === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
  }
}

export function formatIp(d: Uint8Array, at: number, version: number): string {
  if (version === 4) return `${d[at]}.${d[at + 1]}.${d[at + 2]}.${d[at + 3]}`;
  // RFC 5952 text form: lower-case hex, leading zeros dropped, the longest run (≥ 2) of zero groups as "::".
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((d[at + i] << 8) | d[at + i + 1]);
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number, b: number) => g.slice(a, b).map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(0, 8) : `${hex(0, best)}::${hex(best + bestLen, 8)}`;
}

function u16(d: Uint8Array, i: number): number {
  return (d[i] << 8) | d[i + 1];
}

function u32(d: Uint8Array, i: number): number {
  return ((d[i] << 24) | (d[i + 1] << 16) | (d[i + 2] << 8) | d[i + 3]) >>> 0;
}

function u32le(d: Uint8Array, i: number): number {
  return (d[i] | (d[i + 1] << 8) | (d[i + 2] << 16) | (d[i + 3] << 24)) >>> 0;
}

/** BSD address families meaning IPv6 (they differ between BSDs: 24 NetBSD/OpenBSD, 28 FreeBSD, 30 Darwin). */
function isAfInet6(af: number): boolean {
  return af === 24 || af === 28 || af === 30;
}

/**
 * Offset of the IP header in a packet of this link type, or -1 (not IP, too short, or an unsupported link
 * type: the caller checks `isSupportedLinkType` first to tell them apart).
 */
export function ipOffset(linkType: number, d: Uint8Array): number {
  const n = d.length;
  switch (linkType) {
    case LINKTYPE.ETHERNET: {
      if (n < 14) return -1;
      let at = 12;
      let type = u16(d, at);
      // Any stack of VLAN tags: each is TPID (the type we just read) + 2 bytes of TCI, then the next type.
      while ((type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) && at + 6 <= n) {
        at += 4;
        type = u16(d, at);
      }
      return type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6 ? at + 2 : -1;
    }
    case LINKTYPE.LINUX_SLL: {
      if (n < 16) return -1;
      const type = u16(d, 14);
      return type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6 ? 16 : -1;
    }
    case LINKTYPE.LINUX_SLL2: {
      if (n < 20) return -1;
      const type = u16(d, 0);
      return type === ETHERTYPE_IPV4 || type === ETHERTYPE_IPV6 ? 20 : -1;
    }
    case LINKTYPE.NULL: {
      // The family is in the byte order of the machine that wrote the file: try both.
      if (n < 4) return -1;
      const le = u32le(d, 0);
      const be = u32(d, 0);
      return le === 2 || be === 2 || isAfInet6(le) || isAfInet6(be) ? 4 : -1;
    }
    case LINKTYPE.LOOP: {
      if (n < 4) return -1;
      const af = u32(d, 0);
      return af === 2 || isAfInet6(af) ? 4 : -1;
    }
    case LINKTYPE.RAW:
    case LINKTYPE.RAW_OLD:
    case LINKTYPE.RAW_OPENBSD:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6:
      return 0;
    default:
      return -1;
  }
}

/**
 * Dissects `d` (a packet of `linkType`, `origLen` bytes on the wire) into `out`. Returns null when it is a
 * usable TCP segment, else why not.
 */
export function dissectTcp(linkType: number, d: Uint8Array, origLen: number, out: TcpPacket): Skip | null {
  const ip = ipOffset(linkType, d);
  if (ip < 0) return 'not-ip';
  const n = d.length;
  if (ip >= n) return 'truncated';
  const version = d[ip] >> 4;
  // Bytes the capture cut off the end of the packet (snap length).
  const cut = origLen > n ? origLen - n : 0;
  let tcp: number;
  let ipEnd: number; // end of the IP packet as declared, in `d` coordinates (may be beyond n when cut)
  if (version === 4) {
    if (ip + 20 > n) return 'truncated';
    const ihl = (d[ip] & 0x0f) * 4;
    if (ihl < 20) return 'malformed';
    let total = u16(d, ip + 2);
    // Total length 0: a TCP segmentation offload super-packet captured before the NIC split it (Wireshark
    // reports "bogus IP length (0), assuming TSO"); the captured size is all we know.
    if (total === 0) total = n + cut - ip;
    if (total < ihl) return 'malformed';
    if (d[ip + 9] !== IPPROTO_TCP) return 'not-tcp';
    // More-fragments flag or a fragment offset: part of a fragmented datagram.
    if ((u16(d, ip + 6) & 0x3fff) !== 0) return 'fragment';
    tcp = ip + ihl;
    ipEnd = ip + total;
    out.srcAt = ip + 12;
    out.dstAt = ip + 16;
  } else if (version === 6) {
    if (ip + 40 > n) return 'truncated';
    const payloadLength = u16(d, ip + 4);
    let next = d[ip + 6];
    let at = ip + 40;
    // Payload length 0 with a hop-by-hop header is a jumbogram (RFC 2675); the captured size is all we know.
    ipEnd = payloadLength === 0 ? n + cut : at + payloadLength;
    while (next !== IPPROTO_TCP) {
      if (next === EXT_HOP_BY_HOP || next === EXT_ROUTING || next === EXT_DEST_OPTS || next === EXT_MOBILITY || next === EXT_HIP || next === EXT_SHIM6) {
        if (at + 2 > n) return 'truncated';
        next = d[at];
        at += (d[at + 1] + 1) * 8;
      } else if (next === EXT_FRAGMENT) {
        if (at + 8 > n) return 'truncated';
        // An "atomic fragment" (offset 0, no more fragments; RFC 6946) is a whole packet.
        if ((u16(d, at + 2) & 0xfff9) !== 0) return 'fragment';
        next = d[at];
        at += 8;
      } else if (next === EXT_AH) {
        if (at + 2 > n) return 'truncated';
        next = d[at];
        at += (d[at + 1] + 2) * 4; // RFC 4302 §2.2: length in 4-byte units, minus 2
      } else if (next === EXT_ESP || next === EXT_NONE) {
        return 'not-tcp'; // encrypted, or nothing follows
      } else {
        return 'not-tcp';
      }
      if (at > ipEnd) return 'malformed';
    }
    tcp = at;
    out.srcAt = ip + 8;
    out.dstAt = ip + 24;
  } else {
    return 'not-ip';
  }
  // A length field larger than what was on the wire is corrupt; trust the wire.
  if (ipEnd > n + cut) ipEnd = n + cut;
  if (tcp + 20 > n) return 'truncated';
  const dataOffset = (d[tcp + 12] >> 4) * 4;
  if (dataOffset < 20) return 'malformed';
  const payloadAt = tcp + dataOffset;
  if (payloadAt > ipEnd) return 'malformed';
  if (payloadAt > n) return 'truncated';
  out.data = d;
  out.ipVersion = version;
  out.srcPort = u16(d, tcp);
  out.dstPort = u16(d, tcp + 2);
  out.seq = u32(d, tcp + 4);
  out.ack = u32(d, tcp + 8);
  out.flags = d[tcp + 13];
  out.payloadAt = payloadAt;
  // Ethernet pads short frames to 60 bytes: the IP length, not the captured length, says where data ends.
  const capturedEnd = Math.min(n, ipEnd);
  out.payloadLength = capturedEnd - payloadAt;
  out.cutLength = ipEnd - capturedEnd;
  // Flow key: both endpoints in a canonical order. Addresses as numbers (v4) or hex of 32-bit words (v6).
  const s = ipKey(d, out.srcAt, version) + ':' + out.srcPort;
  const t = ipKey(d, out.dstAt, version) + ':' + out.dstPort;
  out.srcKey = s;
  out.flowKey = s < t ? s + '>' + t : t + '>' + s;
  return null;
}

function ipKey(d: Uint8Array, at: number, version: number): string {
  if (version === 4) return String(u32(d, at));
  return u32(d, at).toString(36) + '.' + u32(d, at + 4).toString(36) + '.' + u32(d, at + 8).toString(36) + '.' + u32(d, at + 12).toString(36);
}
