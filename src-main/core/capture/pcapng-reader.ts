// pcapng files (draft-ietf-opsawg-pcapng, "PCAP Now Generic"): what dumpcap, tshark and Wireshark write.
//
// Read: Section Header Blocks (§4.1; each section has its own byte order and its own interfaces), Interface
// Description Blocks (§4.2; per-interface LinkType, SnapLen, and the if_tsresol / if_tsoffset options of
// §4.2 that define its timestamps), Enhanced Packet Blocks (§4.3), Simple Packet Blocks (§4.4) and the
// obsolete Packet Block (Appendix A). Every other block (name resolution, statistics, decryption secrets,
// custom, unknown) is skipped by its length, as §3.1 asks of readers.
//
// Every block is framed by its Block Total Length, repeated at the end (§3.1). Corruption does not end the read:
//  - a block whose framing is sound but whose content is not (a packet longer than its block, an interface that
//    was never described, a block too short for its type) is skipped by its length;
//  - a framing error (a length that is not a multiple of 4, is absurdly large, or disagrees with the trailing
//    copy; a section header with a bad byte-order magic) loses the block boundaries: the reader scans forward,
//    byte by byte (corruption may insert or drop bytes, so the 32-bit alignment of §3.1 cannot be trusted), for
//    the next plausible block: a known block type whose leading and trailing lengths agree (and, for packet
//    blocks, an interface that exists and a captured length that fits), and resumes there. Wireshark's reader
//    gives up at the first bad block instead; a capture cut from a damaged disk or a bad copy keeps most of its
//    packets this way.
// Each skipped region is reported to the sink (`corrupt`) with its file offset, size and reason. Only a file that
// does not start with a section header, or a section of a major version other than 1 (§4.1: readers must not
// read it), stops reading (`error`).

import { MAX_RECORD_BYTES, type CaptureReader, type PacketSink } from './format.js';

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const OPB = 0x00000002;
const SPB = 0x00000003;
const NRB = 0x00000004;
const ISB = 0x00000005;
const EPB = 0x00000006;
const SJE = 0x00000009; // systemd Journal Export Block (§4.7)
const DSB = 0x0000000a; // Decryption Secrets Block (§4.8)
const CB_COPY = 0x00000bad; // Custom Blocks (§4.9)
const CB_NOCOPY = 0x40000bad;
/** Smallest well-formed size of the blocks whose fixed fields we know (§4.1–4.4, Appendix A). */
const MIN_BLOCK: Record<number, number> = { [SHB]: 28, [IDB]: 20, [EPB]: 32, [SPB]: 16, [OPB]: 32 };
/** Block types a resynchronising scan accepts as the next block (the ones the spec defines and writers use). */
const KNOWN_BLOCKS = new Set([SHB, IDB, OPB, SPB, NRB, ISB, EPB, SJE, DSB, CB_COPY, CB_NOCOPY]);
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;
const TWO32 = 4294967296;
/**
 * The largest time a JavaScript Date holds (±8.64e15 ms, ECMA-262 §21.4.1.1), in µs. A 64-bit µs timestamp
 * reaches 1.8e19: beyond this is corruption, and the times must stay showable.
 */
const MAX_TIME_MICROS = 8.64e18;

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
  /** Well-framed blocks skipped because their content is corrupt. */
  corruptBlocks = 0;
  /** Times framing was lost and found again, and the bytes skipped meanwhile. */
  resyncs = 0;
  corruptBytes = 0;
  /** File offset of the first byte of the current piece. */
  private base = 0;
  /** Framing lost: where, why, and where the scan goes on (file offsets). */
  private lost: { from: number; scanFrom: number; reason: string; waiting: boolean } | null = null;
  /** Why the current block's content cannot be read (the block is then skipped). */
  private bad: string | null = null;
  private le = true;
  private interfaces: Interface[] = [];
  private lastTime = 0;

  parse(buf: Uint8Array, sink: PacketSink): number {
    if (this.error) return 0;
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const end = buf.length;
    let pos = 0;
    while (true) {
      if (this.lost) {
        const found = this.scan(dv, pos, end);
        if (found < 0) {
          // Nothing plausible yet: keep the last 11 bytes (a block header may start there), or wait for the
          // rest of a candidate block.
          pos = found === -1 ? Math.max(pos, end - 11) : -found - 2;
          break;
        }
        this.report(sink, this.base + found);
        pos = found;
      }
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
          this.lose(pos, 'a section header with a bad byte-order magic');
          continue;
        }
      } else if (this.base + pos === 0) {
        this.error = 'not a pcapng file: it does not start with a section header block';
        break;
      }
      type = dv.getUint32(pos, this.le);
      const total = dv.getUint32(pos + 4, this.le);
      if (total < 12 || total % 4 !== 0 || total > MAX_RECORD_BYTES) {
        this.lose(pos, `block length ${total} is ${total > MAX_RECORD_BYTES ? 'absurdly large' : 'invalid'}`);
        continue;
      }
      if (end - pos < total) {
        this.need = total;
        break;
      }
      if (dv.getUint32(pos + total - 4, this.le) !== total) {
        this.lose(pos, 'a block whose trailing length does not match its leading length');
        continue;
      }
      const body = pos + 8;
      const bodyEnd = pos + total - 4;
      this.bad = null;
      switch (type) {
        case SHB:
          this.section(dv, body, bodyEnd, pos);
          break;
        case IDB:
          this.interfaceBlock(dv, body, bodyEnd, sink);
          break;
        case EPB:
          this.packetBlock(buf, dv, body, bodyEnd, sink, false);
          break;
        case SPB:
          this.simplePacket(buf, dv, body, bodyEnd, sink);
          break;
        case OPB:
          this.packetBlock(buf, dv, body, bodyEnd, sink, true);
          break;
        case ISB:
          this.statistics(dv, body, bodyEnd, sink);
          break;
        default:
          this.skippedBlocks++;
      }
      if (this.error) break;
      if (this.bad) {
        // Sound framing, unreadable content: only this block is lost.
        this.corruptBlocks++;
        sink.corrupt?.(this.base + pos, total, `${this.bad}; the block (${total} bytes) was skipped`);
      }
      pos += total;
    }
    this.base += pos;
    return pos;
  }

  /**
   * The file ended with `tail` unconsumed. A region being skipped runs to the end of the file: reported as
   * corrupt. A block that runs past the end is usually the last block cut short (returned as cut), but a corrupt
   * length pointing past the end looks the same until here: if whole blocks follow its start, it was corruption,
   * and reading resumes at them.
   */
  end(tail: Uint8Array, sink: PacketSink): number {
    let rest = tail;
    while (!this.error) {
      if (!this.lost) {
        if (rest.length === 0) return 0;
        this.lose(0, 'a block length that runs past the end of the file');
        // Look for a whole block after it. A candidate that itself runs past the end is no block: look on.
        const dvRest = new DataView(rest.buffer, rest.byteOffset, rest.byteLength);
        let found = this.scan(dvRest, 0, rest.length);
        while (found < -1) {
          this.lost!.scanFrom++;
          this.lost!.waiting = false;
          found = this.scan(dvRest, 0, rest.length);
        }
        if (found === -1) {
          this.lost = null;
          return rest.length; // nothing whole after it: the file was cut in this block
        }
      }
      const used = this.parse(rest, sink);
      rest = rest.subarray(used);
      if (this.lost?.waiting) {
        // The candidate the scan stopped at needs bytes past the end of the file: not a block; scan on after it.
        this.lost.scanFrom++;
        this.lost.waiting = false;
        continue;
      }
      if (this.lost) {
        this.report(sink, this.base + rest.length);
        return 0;
      }
    }
    return 0;
  }

  /** Framing is lost at `pos`: scan for the next block from the byte after it. */
  private lose(pos: number, reason: string): void {
    this.lost = { from: this.base + pos, scanFrom: this.base + pos + 1, reason, waiting: false };
  }

  private report(sink: PacketSink, to: number): void {
    const l = this.lost!;
    this.lost = null;
    this.resyncs++;
    this.corruptBytes += to - l.from;
    sink.corrupt?.(l.from, to - l.from, `${l.reason}; the ${to - l.from} bytes up to the next valid block were skipped`);
  }

  /**
   * Looks for the next plausible block at or after the scan position. Returns its position; or -1: none in
   * this piece; or -(p + 2): a candidate at p whose block does not fit in this piece yet (need is set).
   */
  private scan(dv: DataView, pos: number, end: number): number {
    const l = this.lost!;
    let q = Math.max(pos, l.scanFrom - this.base);
    for (; q + 12 <= end; q++) {
      if (dv.getUint32(q, true) === 0) {
        // A zeroed (or sparse) region holds no block: no block type is 0, so a block can only start within 3
        // bytes before a non-zero byte. Skip the zeros a word at a time: byte by byte, gigabytes take minutes.
        let z = q + 4;
        while (z + 4 <= end && dv.getUint32(z, true) === 0) z += 4;
        q = z - 4; // the loop's q++ resumes at the first position whose 4 bytes reach past the zeros
        continue;
      }
      let le = this.le;
      const t = dv.getUint32(q, le);
      if (t === SHB) {
        const bom = dv.getUint32(q + 8, true);
        if (bom === BYTE_ORDER_MAGIC) le = true;
        else if (bom === 0x4d3c2b1a) le = false;
        else continue;
      } else if (!KNOWN_BLOCKS.has(t)) continue;
      const total = dv.getUint32(q + 4, le);
      if (total < (MIN_BLOCK[t] ?? 12) || total % 4 !== 0 || total > MAX_RECORD_BYTES) continue;
      let need = total;
      if (t === EPB || t === OPB) {
        // A packet block must name a described interface and fit its captured length (§4.3): random bytes
        // rarely do.
        if (total < 32) continue;
        if (q + 32 <= end) {
          const iface = t === EPB ? dv.getUint32(q + 8, le) : dv.getUint16(q + 8, le);
          if (iface >= this.interfaces.length || dv.getUint32(q + 20, le) > total - 32) continue;
        } else need = 32;
      }
      if (q + need > end || q + total > end) {
        this.need = need;
        l.scanFrom = this.base + q;
        l.waiting = true;
        return -(q + 2);
      }
      if (dv.getUint32(q + total - 4, le) !== total) continue;
      return q;
    }
    this.need = 12;
    l.scanFrom = this.base + q;
    l.waiting = false;
    return -1;
  }

  private section(dv: DataView, body: number, bodyEnd: number, at: number): void {
    if (bodyEnd - body < 16) {
      this.bad = 'a section header too short for its fields';
      return;
    }
    const major = dv.getUint16(body + 4, this.le);
    if (major !== 1) {
      this.error = `unsupported pcapng version ${major}.${dv.getUint16(body + 6, this.le)} at byte ${this.base + at}`;
      return;
    }
    this.sections++;
    // Interface ids are per section (§4.2).
    this.interfaces = [];
  }

  private interfaceBlock(dv: DataView, body: number, bodyEnd: number, sink: PacketSink): void {
    if (bodyEnd - body < 8) {
      this.bad = 'an interface description too short for its fields';
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

  /**
   * An Interface Statistics Block (§4.6): the packets the interface (isb_ifdrop, option 5) and the capture
   * engine's buffers (isb_osdrop, option 7) dropped, as counted by the writer (dumpcap writes one at the end).
   */
  private statistics(dv: DataView, body: number, bodyEnd: number, sink: PacketSink): void {
    if (!sink.interfaceStatistics || bodyEnd - body < 12) return;
    const iface = dv.getUint32(body, this.le);
    let ifdrop: number | null = null;
    let osdrop: number | null = null;
    let p = body + 12;
    while (p + 4 <= bodyEnd) {
      const code = dv.getUint16(p, this.le);
      const len = dv.getUint16(p + 2, this.le);
      if (code === OPT_ENDOFOPT) break;
      const v = p + 4;
      if (v + len > bodyEnd) break;
      if (code === 5 && len === 8) ifdrop = Number(dv.getBigUint64(v, this.le));
      else if (code === 7 && len === 8) osdrop = Number(dv.getBigUint64(v, this.le));
      p = v + ((len + 3) & ~3);
    }
    sink.interfaceStatistics(iface, ifdrop, osdrop);
  }

  private iface(id: number): Interface | null {
    const i = this.interfaces[id];
    if (!i) this.bad = `a packet block of interface ${id}, which was never described`;
    return i ?? null;
  }

  /**
   * An Enhanced Packet Block (§4.3), or the Obsolete Packet Block it replaced (Appendix A), which has the same
   * layout but for a 16-bit interface id followed by a 16-bit drops count.
   */
  private packetBlock(buf: Uint8Array, dv: DataView, body: number, bodyEnd: number, sink: PacketSink, obsolete: boolean): void {
    if (bodyEnd - body < 20) {
      this.bad = 'a packet block too short for its fields';
      return;
    }
    const iface = this.iface(obsolete ? dv.getUint16(body, this.le) : dv.getUint32(body, this.le));
    if (!iface) return;
    const caplen = dv.getUint32(body + 12, this.le);
    const orig = dv.getUint32(body + 16, this.le);
    const data = body + 20;
    if (caplen > bodyEnd - data) {
      this.bad = `a packet block whose captured length ${caplen} is longer than the block`;
      return;
    }
    const time = micros(iface, dv.getUint32(body + 4, this.le), dv.getUint32(body + 8, this.le));
    if (!(Math.abs(time) <= MAX_TIME_MICROS)) {
      this.bad = 'a packet block whose timestamp is out of range';
      return;
    }
    this.lastTime = time;
    this.packets++;
    sink.packet(iface.linkType, time, buf.subarray(data, data + caplen), orig < caplen ? caplen : orig);
  }

  private simplePacket(buf: Uint8Array, dv: DataView, body: number, bodyEnd: number, sink: PacketSink): void {
    if (bodyEnd - body < 4) {
      this.bad = 'a simple packet block too short for its fields';
      return;
    }
    // §4.4: always interface 0; no timestamp (we keep the last one seen); captured length is the smaller of the
    // original length and the interface's snap length (the block's size bounds it too).
    const iface = this.iface(0);
    if (!iface) return;
    const orig = dv.getUint32(body, this.le);
    const data = body + 4;
    let caplen = Math.min(orig, bodyEnd - data);
    if (iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen);
    this.packets++;
    sink.packet(iface.linkType, this.lastTime, buf.subarray(data, data + caplen), orig);
  }
}
