// Classic pcap files (draft-ietf-opsawg-pcap; tcpdump.org/manpages/pcap-savefile.5.html), microsecond and
// nanosecond variants, either byte order, parsed in place (no copy, no object per record). The file import reads
// every classic pcap with it: at hundreds of MB/s, pcap-parser's copy of each piece and its three events per record
// were a sixth of an import. The live capture reads dumpcap's microsecond stream with the `pcap-parser` package
// (pcap-parser-reader.ts; it rejects the nanosecond magic), where a few thousand packets a second cost nothing.
// The tests run this reader against pcap-parser on the same microsecond files, as a cross-check of both.
//
// File header (24 bytes): magic u32, version major u16 / minor u16, thiszone i32, sigfigs u32, snaplen u32,
// LinkType u32 (its low 16 bits; the high bits may carry an FCS length, draft §4).
// Record header (16 bytes): ts seconds u32, ts fraction u32 (µs or ns), captured length u32, original length u32.

import { EMPTY_RECORD_RUN, MAX_RECORD_BYTES, emptyRunError, type CaptureFormat, type CaptureReader, type PacketSink } from './format.js';

const FILE_HEADER = 24;
const RECORD_HEADER = 16;
/** libpcap's bound (MAXIMUM_SNAPLEN): a record longer than max(snaplen, this) is a corrupt file. */
const LIBPCAP_MAX_SNAPLEN = 262144;

export class PcapReader implements CaptureReader {
  readonly format: CaptureFormat;
  need = FILE_HEADER;
  error: string | null = null;
  packets = 0;
  readonly held = 0;
  linkType = -1;
  snaplen = 0;
  private headerDone = false;
  private le = true;
  private nano = false;
  private maxRecord = LIBPCAP_MAX_SNAPLEN;
  /** File offset of the current piece's first byte. */
  private base = 0;
  /** Empty records in a row (see EMPTY_RECORD_RUN), and the file offset of the first of them. */
  private emptyRun = 0;
  private emptyFrom = 0;

  constructor(format: 'pcap' | 'pcap-nsec' = 'pcap') {
    this.format = format;
  }

  parse(buf: Uint8Array, sink: PacketSink): number {
    if (this.error) return 0;
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let pos = 0;
    if (!this.headerDone) {
      if (buf.length < FILE_HEADER) {
        this.need = FILE_HEADER;
        return 0;
      }
      const m = dv.getUint32(0, false);
      if (m === 0xa1b2c3d4 || m === 0xa1b23c4d) this.le = false;
      else if (m === 0xd4c3b2a1 || m === 0x4d3cb2a1) this.le = true;
      else {
        this.error = 'not a classic pcap file (bad magic number)';
        return 0;
      }
      this.nano = m === 0xa1b23c4d || m === 0x4d3cb2a1;
      const major = dv.getUint16(4, this.le);
      if (major !== 2) {
        this.error = `unsupported pcap version ${major}.${dv.getUint16(6, this.le)} (only 2.x exists)`;
        return 0;
      }
      this.snaplen = dv.getUint32(16, this.le);
      this.linkType = dv.getUint32(20, this.le) & 0xffff;
      this.maxRecord = Math.min(MAX_RECORD_BYTES, Math.max(this.snaplen, LIBPCAP_MAX_SNAPLEN));
      sink.linkType?.(this.linkType);
      this.headerDone = true;
      pos = FILE_HEADER;
    }
    const le = this.le;
    const nano = this.nano;
    const linkType = this.linkType;
    const end = buf.length;
    while (true) {
      if (end - pos < RECORD_HEADER) {
        this.need = RECORD_HEADER;
        break;
      }
      const caplen = dv.getUint32(pos + 8, le);
      if (caplen > this.maxRecord) {
        this.error = `corrupt record at packet ${this.packets + 1}: captured length ${caplen} exceeds the snap length (${this.snaplen})`;
        break;
      }
      if (end - pos - RECORD_HEADER < caplen) {
        this.need = RECORD_HEADER + caplen;
        break;
      }
      const sec = dv.getUint32(pos, le);
      const frac = dv.getUint32(pos + 4, le);
      const orig = dv.getUint32(pos + 12, le);
      if (caplen === 0 && orig === 0) {
        // Holds no packet: skipped, and a run of them is a zeroed region (EMPTY_RECORD_RUN).
        if (this.emptyRun++ === 0) this.emptyFrom = this.base + pos;
        if (this.emptyRun >= EMPTY_RECORD_RUN) {
          this.error = emptyRunError(this.emptyFrom, this.packets);
          break;
        }
        pos += RECORD_HEADER;
        continue;
      }
      this.emptyRun = 0;
      const time = sec * 1e6 + (nano ? Math.floor(frac / 1000) : frac);
      const start = pos + RECORD_HEADER;
      this.packets++;
      sink.packet(linkType, time, buf.subarray(start, start + caplen), orig < caplen ? caplen : orig);
      pos = start + caplen;
    }
    this.base += pos;
    return pos;
  }
}
