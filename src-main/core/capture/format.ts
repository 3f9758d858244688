// Capture file formats: detection by magic number, the link-layer type registry we understand, and the
// interface every file reader implements.
//
// References:
//   classic pcap   https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/ (and tcpdump.org/manpages/pcap-savefile.5.html)
//   pcapng         https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/
//   link types     https://www.tcpdump.org/linktypes.html

export type CaptureFormat = 'pcap' | 'pcap-nsec' | 'pcapng';

/** Link-layer header types (LINKTYPE_* values, as written in files; tcpdump.org/linktypes.html). */
export const LINKTYPE = {
  NULL: 0, // BSD loopback: 4-byte address family in the *writer's* byte order
  ETHERNET: 1,
  RAW_OLD: 12, // DLT_RAW on most BSDs; libpcap writes 101, but old files carry 12
  RAW_OPENBSD: 14, // DLT_RAW on OpenBSD
  RAW: 101, // raw IPv4 or IPv6, told apart by the version nibble
  LOOP: 108, // OpenBSD loopback: like NULL, but the family is in network byte order
  LINUX_SLL: 113, // Linux "cooked" v1, `tcpdump -i any`
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276, // Linux "cooked" v2, `tcpdump -i any -y LINUX_SLL2`
} as const;

const LINKTYPE_NAMES: Record<number, string> = {
  0: 'NULL', 1: 'EN10MB', 12: 'RAW', 14: 'RAW', 101: 'RAW', 108: 'LOOP', 113: 'LINUX_SLL', 228: 'IPV4', 229: 'IPV6', 276: 'LINUX_SLL2',
  // Common ones we do not decode, so that the warning names them.
  6: 'IEEE802', 9: 'PPP', 50: 'PPP_HDLC', 104: 'C_HDLC', 105: 'IEEE802_11', 127: 'IEEE802_11_RADIOTAP', 147: 'USER0',
  192: 'PPI', 195: 'IEEE802_15_4', 220: 'USB_LINUX_MMAPPED', 249: 'NETLINK', 253: 'NETANALYZER',
};

export function linkTypeName(t: number): string {
  return `${LINKTYPE_NAMES[t] ?? 'unknown'} (${t})`;
}

export function isSupportedLinkType(t: number): boolean {
  return t === 0 || t === 1 || t === 12 || t === 14 || t === 101 || t === 108 || t === 113 || t === 228 || t === 229 || t === 276;
}

/**
 * Receives each packet record. `data` is a view into the reader's input buffer, valid until the caller reuses
 * that buffer (the import never does: every read gets a fresh buffer). `time` is µs since the Unix epoch.
 */
export interface PacketSink {
  packet(linkType: number, time: number, data: Uint8Array, originalLength: number): void;
  /** A new pcapng interface, or the classic file's one link type: lets the importer list the link types. */
  linkType?(linkType: number): void;
  /** `bytes` bytes of the file from offset `at` were corrupt and skipped; reading went on after them. */
  corrupt?(at: number, bytes: number, reason: string): void;
  /** pcapng interface statistics: packets dropped by the interface and by the capture engine (null: not said). */
  interfaceStatistics?(iface: number, ifdrop: number | null, osdrop: number | null): void;
}

/**
 * A capture file reader: sans-IO, fed consecutive pieces of the file by the importer's read loop.
 * `parse` consumes whole records from the start of `buf` and returns how many bytes it consumed; the caller
 * keeps the rest and presents it again, followed by more of the file. `need` is the size of the record that
 * did not fit, so the caller reads at least that much next time (records can be larger than one read).
 */
export interface CaptureReader {
  readonly format: CaptureFormat;
  parse(buf: Uint8Array, sink: PacketSink): number;
  /** Bytes needed (from the first unconsumed one) to make progress. */
  readonly need: number;
  /** Set when the file is corrupt beyond the point of reading on: the reader stops there. */
  readonly error: string | null;
  /** Packets read so far. */
  readonly packets: number;
  /** Bytes it accepted (returned as consumed) but has not parsed yet: a truncated record at the end of file. */
  readonly held: number;
  /**
   * The file ended with `tail` unconsumed. A reader that can tell corruption from a cut record reads what it can
   * of the tail, reports corrupt regions through `sink.corrupt`, and returns how many bytes are a record cut
   * short by the end of the file (0: none). Without it, the whole tail is a cut record.
   */
  end?(tail: Uint8Array, sink: PacketSink): number;
}

/** Largest record we accept. Real ones are at most a few hundred KiB; anything near 2^32 is corruption. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/**
 * A classic pcap record of zero captured and zero original length holds no packet: no capture tool writes one.
 * Skipped alone; this many in a row are a zeroed or overwritten region (a pcap header followed by gigabytes of
 * zeros would otherwise read as hundreds of millions of empty packets), and the file is corrupt from there.
 */
export const EMPTY_RECORD_RUN = 16;

export function emptyRunError(at: number, packet: number): string {
  return `corrupt records from byte ${at} on (after packet ${packet}): ${EMPTY_RECORD_RUN} records in a row have zero captured ` +
    'and zero original length: zeroed or overwritten data, not packets';
}

export type Detected = { format: CaptureFormat } | { format: null; reason: string };

/** Tells the capture format from a file's first bytes (at least 4). */
export function detectFormat(head: Uint8Array): Detected {
  if (head.length < 4) return { format: null, reason: head.length === 0 ? 'the file is empty' : 'the file is too short to be a capture' };
  const m = ((head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3]) >>> 0;
  switch (m) {
    case 0xa1b2c3d4:
    case 0xd4c3b2a1:
      return { format: 'pcap' };
    case 0xa1b23c4d:
    case 0x4d3cb2a1:
      return { format: 'pcap-nsec' };
    case 0x0a0d0d0a:
      return { format: 'pcapng' };
    case 0xa1b2cd34:
    case 0x34cdb2a1:
      return { format: null, reason: 'a "modified" (Kuznetzov) pcap file, which is not supported: convert it with `editcap -F pcap`' };
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return { format: null, reason: 'a gzip-compressed file: decompress it first (gunzip)' };
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return { format: null, reason: 'a zstd-compressed file: decompress it first' };
  if (head[0] === 0x53 && head[1] === 0x51 && head[2] === 0x4c && head[3] === 0x69) return { format: null, reason: 'an SQLite database (a StompScope database?), not a capture' };
  const hex = Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return { format: null, reason: `not a pcap or pcapng file (it starts with ${hex})` };
}
