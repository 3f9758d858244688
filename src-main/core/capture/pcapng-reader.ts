// pcapng files (draft-ietf-opsawg-pcapng, "PCAP Now Generic"): what dumpcap, tshark and Wireshark write.
//
// Read: Section Header Blocks (§4.1; each section has its own byte order and its own interfaces), Interface
// Description Blocks (§4.2; per-interface LinkType, SnapLen, and the if_tsresol / if_tsoffset options of
// §4.2 that define its timestamps), Enhanced Packet Blocks (§4.3), Simple Packet Blocks (§4.4) and the
// obsolete Packet Block (Appendix A). Every other block (name resolution, statistics, decryption secrets,
// custom, unknown) is skipped by its length, as §3.1 asks of readers.
//
// Every block is framed by its Block Total Length, repeated at the end (§3.1): a mismatch, a length that is not
// a multiple of 4 or is absurdly large, or a packet longer than its block stops reading as a corrupt file.

import { MAX_RECORD_BYTES, type CaptureReader, type PacketSink } from './format.js';

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const OPB = 0x00000002;
const SPB = 0x00000003;
const EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;
const TWO32 = 4294967296;

interface Interface {
  linkType: number;
  snaplen: number;
  /** Timestamp units per µs when that is a whole number small enough for exact integer math, else 0. */
  unitsPerMicro: number;
  q: number; // floor(2^32 / unitsPerMicro)
  r: number; // 2^32 mod unitsPerMicro
  /** Otherwise: µs per unit, in floating point (coarse units, binary fractions). */
  microsPerUnit: number;
  /** if_tsoffset, in µs. */
  offset: number;
}

function makeInterface(linkType: number, snaplen: number, tsresol: number, tsoffsetSeconds: number): Interface {
  const iface: Interface = { linkType, snaplen, unitsPerMicro: 0, q: 0, r: 0, microsPerUnit: 1, offset: tsoffsetSeconds * 1e6 };
  // if_tsresol (§4.2): most significant bit 0 → 10^-v seconds per unit; 1 → 2^-(v & 0x7f). Default 10^-6.
  if (tsresol & 0x80) {
    iface.microsPerUnit = 1e6 / 2 ** (tsresol & 0x7f);
  } else if (tsresol >= 6 && tsresol <= 12) {
    // 10^-6 … 10^-12: exact integer division of the 64-bit count, without BigInt (a per-packet allocation).
    const d = 10 ** (tsresol - 6);
    iface.unitsPerMicro = d;
    iface.q = Math.floor(TWO32 / d);
    iface.r = TWO32 % d;
  } else {
    iface.microsPerUnit = 10 ** (6 - tsresol);
  }
  return iface;
}

function micros(iface: Interface, hi: number, lo: number): number {
  const d = iface.unitsPerMicro;
  if (d === 1) return hi * TWO32 + lo + iface.offset;
  if (d > 1) return hi * iface.q + Math.floor((hi * iface.r + lo) / d) + iface.offset;
  return Math.floor((hi * TWO32 + lo) * iface.microsPerUnit) + iface.offset;
}

export class PcapngReader implements CaptureReader {
  readonly format = 'pcapng' as const;
  need = 12;
  error: string | null = null;
  packets = 0;
  readonly held = 0;
  sections = 0;
  /** Blocks skipped because we do not read that type. */
  skippedBlocks = 0;
  private le = true;
  private interfaces: Interface[] = [];
  private lastTime = 0;

  parse(buf: Uint8Array, sink: PacketSink): number {
    if (this.error) return 0;
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const end = buf.length;
    let pos = 0;
    while (true) {
      if (end - pos < 12) {
        this.need = 12;
        break;
      }
      let type = dv.getUint32(pos, this.le);
      if (type === SHB) {
        // The byte order of this section is the one in which the Byte-Order Magic reads 0x1A2B3C4D (§4.1).
        const bom = dv.getUint32(pos + 8, true);
        if (bom === BYTE_ORDER_MAGIC) this.le = true;
        else if (bom === 0x4d3c2b1a) this.le = false;
        else {
          this.error = `corrupt section header at byte ${pos}: bad byte-order magic`;
          break;
        }
      } else if (this.sections === 0) {
        this.error = 'not a pcapng file: it does not start with a section header block';
        break;
      }
      type = dv.getUint32(pos, this.le);
      const total = dv.getUint32(pos + 4, this.le);
      if (total < 12 || total % 4 !== 0 || total > MAX_RECORD_BYTES) {
        this.error = `corrupt block at byte ${pos}: block length ${total} is ${total > MAX_RECORD_BYTES ? 'absurdly large' : 'invalid'}`;
        break;
      }
      if (end - pos < total) {
        this.need = total;
        break;
      }
      if (dv.getUint32(pos + total - 4, this.le) !== total) {
        this.error = `corrupt block at byte ${pos}: its trailing length does not match its leading length`;
        break;
      }
      const body = pos + 8;
      const bodyEnd = pos + total - 4;
      switch (type) {
        case SHB:
          this.section(dv, body, bodyEnd, pos);
          break;
        case IDB:
          this.interfaceBlock(dv, body, bodyEnd, sink, pos);
          break;
        case EPB:
          this.enhancedPacket(buf, dv, body, bodyEnd, sink, pos);
          break;
        case SPB:
          this.simplePacket(buf, dv, body, bodyEnd, sink, pos);
          break;
        case OPB:
          this.obsoletePacket(buf, dv, body, bodyEnd, sink, pos);
          break;
        default:
          this.skippedBlocks++;
      }
      if (this.error) break;
      pos += total;
    }
    return pos;
  }

  private section(dv: DataView, body: number, bodyEnd: number, at: number): void {
    if (bodyEnd - body < 16) {
      this.error = `corrupt section header at byte ${at}: too short`;
      return;
    }
    const major = dv.getUint16(body + 4, this.le);
    if (major !== 1) {
      this.error = `unsupported pcapng version ${major}.${dv.getUint16(body + 6, this.le)} at byte ${at}`;
      return;
    }
    this.sections++;
    // Interface ids are per section (§4.2).
    this.interfaces = [];
  }

  private interfaceBlock(dv: DataView, body: number, bodyEnd: number, sink: PacketSink, at: number): void {
    if (bodyEnd - body < 8) {
      this.error = `corrupt interface description at byte ${at}: too short`;
      return;
    }
    const linkType = dv.getUint16(body, this.le);
    const snaplen = dv.getUint32(body + 4, this.le);
    let tsresol = 6;
    let tsoffset = 0;
    // Options (§3.5): code u16, length u16, value padded to 32 bits, until opt_endofopt or the block's end.
    let p = body + 8;
    while (p + 4 <= bodyEnd) {
      const code = dv.getUint16(p, this.le);
      const len = dv.getUint16(p + 2, this.le);
      if (code === OPT_ENDOFOPT) break;
      const v = p + 4;
      if (v + len > bodyEnd) break; // a bad option ends the options, not the file
      if (code === IF_TSRESOL && len >= 1) tsresol = dv.getUint8(v);
      else if (code === IF_TSOFFSET && len >= 8) tsoffset = Number(dv.getBigInt64(v, this.le));
      p = v + ((len + 3) & ~3);
    }
    this.interfaces.push(makeInterface(linkType, snaplen, tsresol, tsoffset));
    sink.linkType?.(linkType);
  }

  private iface(id: number, at: number): Interface | null {
    const i = this.interfaces[id];
    if (!i) this.error = `corrupt packet block at byte ${at}: interface ${id} was never described`;
    return i ?? null;
  }

  private enhancedPacket(buf: Uint8Array, dv: DataView, body: number, bodyEnd: number, sink: PacketSink, at: number): void {
    if (bodyEnd - body < 20) {
      this.error = `corrupt packet block at byte ${at}: too short`;
      return;
    }
    const iface = this.iface(dv.getUint32(body, this.le), at);
    if (!iface) return;
    const caplen = dv.getUint32(body + 12, this.le);
    const orig = dv.getUint32(body + 16, this.le);
    const data = body + 20;
    if (caplen > bodyEnd - data) {
      this.error = `corrupt packet block at byte ${at}: captured length ${caplen} is longer than the block`;
      return;
    }
    const time = micros(iface, dv.getUint32(body + 4, this.le), dv.getUint32(body + 8, this.le));
    this.lastTime = time;
    this.packets++;
    sink.packet(iface.linkType, time, buf.subarray(data, data + caplen), orig < caplen ? caplen : orig);
  }

  private simplePacket(buf: Uint8Array, dv: DataView, body: number, bodyEnd: number, sink: PacketSink, at: number): void {
    if (bodyEnd - body < 4) {
      this.error = `corrupt simple packet block at byte ${at}: too short`;
      return;
    }
    // §4.4: always interface 0; no timestamp (we keep the last one seen); captured length is the smaller of the
    // original length and the interface's snap length (the block's size bounds it too).
    const iface = this.iface(0, at);
    if (!iface) return;
    const orig = dv.getUint32(body, this.le);
    const data = body + 4;
    let caplen = Math.min(orig, bodyEnd - data);
    if (iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen);
    this.packets++;
    sink.packet(iface.linkType, this.lastTime, buf.subarray(data, data + caplen), orig);
  }

  private obsoletePacket(buf: Uint8Array, dv: DataView, body: number, bodyEnd: number, sink: PacketSink, at: number): void {
    if (bodyEnd - body < 20) {
      this.error = `corrupt packet block at byte ${at}: too short`;
      return;
    }
    const iface = this.iface(dv.getUint16(body, this.le), at);
    if (!iface) return;
    const caplen = dv.getUint32(body + 12, this.le);
    const orig = dv.getUint32(body + 16, this.le);
    const data = body + 20;
    if (caplen > bodyEnd - data) {
      this.error = `corrupt packet block at byte ${at}: captured length ${caplen} is longer than the block`;
      return;
    }
    const time = micros(iface, dv.getUint32(body + 4, this.le), dv.getUint32(body + 8, this.le));
    this.lastTime = time;
    this.packets++;
    sink.packet(iface.linkType, time, buf.subarray(data, data + caplen), orig < caplen ? caplen : orig);
  }
}
