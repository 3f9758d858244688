// Classic microsecond pcap through the `pcap-parser` package, for the live capture's stream from dumpcap or
// tcpdump (it reads only that variant; the nanosecond variant and pcapng have readers of ours, and file imports
// read every classic pcap with pcap-reader.ts, which says why). pcap-parser is a push parser over an event emitter
// that stands for a stream: we hand it our own emitter and emit the stream's pieces into it from the capture's
// read loop, so parsing stays synchronous inside the capture's store transactions.
//
// Two guards pcap-parser lacks, so that hostile files cannot make it hang or eat memory:
//  - a record whose captured length is beyond max(snaplen, 256 KiB) (libpcap's own bound) stops the import as
//    corrupt; pcap-parser would otherwise wait for, and re-copy, gigabytes of "packet body";
//  - it says nothing about a truncated last record; we count the bytes it consumed to notice;
//  - empty records (zero captured and original length) are skipped, and a run of them stops the import as
//    corrupt (format.ts, EMPTY_RECORD_RUN): a header followed by zeros is not gigabytes of empty packets.
import { EventEmitter } from 'node:events';
import pcapParser, { type Input } from 'pcap-parser';
import { EMPTY_RECORD_RUN, MAX_RECORD_BYTES, emptyRunError, type CaptureReader, type PacketSink } from './format.js';

const FILE_HEADER = 24;
const RECORD_HEADER = 16;
const LIBPCAP_MAX_SNAPLEN = 262144;

class FeedInput extends EventEmitter implements Input {
  pause(): void {}
  resume(): void {}
}

export class PcapParserReader implements CaptureReader {
  readonly format = 'pcap' as const;
  need = 1;
  error: string | null = null;
  packets = 0;
  linkType = -1;
  private readonly input = new FeedInput();
  private sink: PacketSink | null = null;
  private maxRecord = LIBPCAP_MAX_SNAPLEN;
  private snaplen = 0;
  /** Bytes of whole records (and the file header) pcap-parser has delivered. */
  private consumed = 0;
  private fed = 0;
  /** Empty records in a row, and the file offset of the first of them. */
  private emptyRun = 0;
  private emptyFrom = 0;

  get held(): number {
    return this.fed - this.consumed;
  }

  constructor() {
    const parser = pcapParser.parse(this.input);
    parser.on('globalHeader', (h) => {
      this.linkType = h.linkLayerType & 0xffff;
      this.snaplen = h.snapshotLength;
      this.maxRecord = Math.min(MAX_RECORD_BYTES, Math.max(h.snapshotLength, LIBPCAP_MAX_SNAPLEN));
      this.consumed = FILE_HEADER;
      this.sink?.linkType?.(this.linkType);
    });
    parser.on('packetHeader', (h) => {
      if (this.error) return;
      if (h.capturedLength > this.maxRecord) {
        this.error = `corrupt record at packet ${this.packets + 1}: captured length ${h.capturedLength} exceeds the snap length (${this.snaplen})`;
      } else if (h.capturedLength === 0 && h.originalLength === 0) {
        if (this.emptyRun++ === 0) this.emptyFrom = this.consumed;
        if (this.emptyRun >= EMPTY_RECORD_RUN) this.error = emptyRunError(this.emptyFrom, this.packets);
      } else {
        this.emptyRun = 0;
      }
    });
    parser.on('packet', (p) => {
      if (this.error) return;
      const h = p.header;
      this.consumed += RECORD_HEADER + p.data.length;
      if (p.data.length === 0 && h.originalLength === 0) return; // holds no packet
      this.packets++;
      const orig = h.originalLength < p.data.length ? p.data.length : h.originalLength;
      this.sink!.packet(this.linkType, h.timestampSeconds * 1e6 + h.timestampMicroseconds, p.data, orig);
    });
    parser.on('error', (e) => {
      this.error ??= e.message;
    });
  }

  /** pcap-parser keeps what it has not parsed itself, so everything given to it counts as consumed. */
  parse(buf: Uint8Array, sink: PacketSink): number {
    if (this.error) return 0;
    this.sink = sink;
    this.fed += buf.length;
    // pcap-parser concatenates Buffers with Buffer#copy: give it a Buffer view (no copy).
    this.input.emit('data', Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
    return buf.length;
  }
}
