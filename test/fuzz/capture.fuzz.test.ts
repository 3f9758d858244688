// Fuzzing the capture-file readers (classic pcap through pcap-parser and through our own reader, nanosecond
// pcap, pcapng) and what the importer does with their packets (link/IP/TCP dissection, the flow table with its
// reassemblers), without a database: mutated valid captures, read the way import-job.ts reads them (pieces of
// a random size, the unconsumed tail presented again, `need` honoured, `end` at the end of the file).
// Invariants for any file: nothing throws; reading always ends (every step consumes, reads more or stops);
// `need` never asks for more than the largest record we accept (the importer allocates it); packets lie inside
// the input and inside the record limit; corrupt regions lie inside the file; and the packets do not depend on
// how the file was cut into reads. (test/capture/hostile.test.ts runs full imports of damaged files.)
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dissectTcp, TcpPacket } from '../../src-main/core/capture/dissect.js';
import { FlowTable, type ConnectionHandle } from '../../src-main/core/capture/flows.js';
import { detectFormat, MAX_RECORD_BYTES, type CaptureReader, type PacketSink } from '../../src-main/core/capture/format.js';
import { PcapParserReader } from '../../src-main/core/capture/pcap-parser-reader.js';
import { PcapReader } from '../../src-main/core/capture/pcap-reader.js';
import { PcapngReader } from '../../src-main/core/capture/pcapng-reader.js';
import { Conversation, pcapFile, pcapngFile, type CapturedPacket } from '../capture/support/synth.js';
import { fuzz, mutate, Rng, RUNS, te, timeoutFor } from './support.js';

const enc = (s: string) => te.encode(s);

function talk(link: Parameters<Conversation['captured']>[0] = 'ethernet', v6 = false): CapturedPacket[] {
  const c = v6
    ? new Conversation({ ip: 'fd00::1', port: 40000 }, { ip: 'fd00::2', port: 61613 }, { isnC: 0xfffffff0 })
    : new Conversation({ ip: '10.0.0.1', port: 40000 }, { ip: '10.0.0.2', port: 61613 });
  return c
    .handshake()
    .send('c', enc('CONNECT\naccept-version:1.2\nhost:/\n\n\0'))
    .send('b', enc('CONNECTED\nversion:1.2\n\n\0'))
    .send('c', enc('SEND\ndestination:/q\ncontent-length:40\n\n' + 'x'.repeat(40) + '\0'), 32)
    .send('b', enc('RECEIPT\nreceipt-id:1\n\n\0\n'))
    .close()
    .captured(link);
}

const SEEDS: Uint8Array[] = [
  pcapFile(talk(), { linkType: 1 }),
  pcapFile(talk('sll'), { linkType: 113, bigEndian: true }),
  pcapFile(talk('raw', true), { linkType: 101, snaplen: 96 }),
  pcapFile(talk('null'), { linkType: 0, nano: true }),
  pcapFile(talk('vlan'), { linkType: 1, nano: true, bigEndian: true }),
  pcapngFile([{ interfaces: [{ linkType: 1 }], packets: talk(), junkBlocks: true }]),
  pcapngFile([
    { interfaces: [{ linkType: 1 }, { linkType: 276, tsresol: 9 }], packets: talk().slice(0, 6) },
    { interfaces: [{ linkType: 229, tsresol: 0x80 | 20 }], packets: talk('ipv6', true).slice(6), bigEndian: true },
  ]),
  pcapngFile([{ interfaces: [{ linkType: 228, snaplen: 80 }], packets: talk('ipv4'), simple: true }]),
];

const DICTIONARY = [
  [0x0a, 0x0d, 0x0d, 0x0a], [0x4d, 0x3c, 0x2b, 0x1a], [0x1a, 0x2b, 0x3c, 0x4d], [0xa1, 0xb2, 0xc3, 0xd4], [0xd4, 0xc3, 0xb2, 0xa1],
  [0x06, 0, 0, 0], [0, 0, 0, 6], [0x01, 0, 0, 0], [0x03, 0, 0, 0], [0xad, 0x0b, 0, 0], [0x08, 0x00, 0x45, 0x00], [0x86, 0xdd, 0x60, 0],
].map((b) => Uint8Array.from(b));

type Kind = 'pcap-parser' | 'pcap' | 'pcapng';

function readerFor(kind: Kind): CaptureReader {
  return kind === 'pcap-parser' ? new PcapParserReader() : kind === 'pcap' ? new PcapReader(/* either magic */) : new PcapngReader();
}

interface Outcome {
  packets: string[];
  corrupt: string[];
  error: string | null;
  cutAtEnd: number;
}

/**
 * Reads `file` as the importer does, in reads of `readSize` bytes (at least `need`), checking the reader's
 * contract at every step, and hands every packet to the dissector and a flow table.
 */
function read(kind: Kind, file: Uint8Array, readSize: number, flows: FlowTable | null): Outcome {
  const reader = readerFor(kind);
  const out: Outcome = { packets: [], corrupt: [], error: null, cutAtEnd: 0 };
  const tcp = new TcpPacket();
  let current: Uint8Array = new Uint8Array(0);
  const sink: PacketSink = {
    packet(linkType, time, data, originalLength) {
      if (!Number.isFinite(time)) throw new Error(`packet time ${time}`);
      if (data.length > MAX_RECORD_BYTES) throw new Error(`a ${data.length}-byte packet`);
      if (data.buffer !== current.buffer && kind !== 'pcap-parser') throw new Error('packet data is not a view of the input');
      if (originalLength < data.length) throw new Error(`original length ${originalLength} < captured ${data.length}`);
      out.packets.push(`${linkType} ${time} ${originalLength} ${Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex')}`);
      if (dissectTcp(linkType, data, originalLength, tcp) === null) {
        if (tcp.payloadAt + tcp.payloadLength > data.length || tcp.payloadLength < 0 || tcp.cutLength < 0) throw new Error('payload outside the packet');
        flows?.segment(tcp, time);
      }
    },
    corrupt(at, bytes, reason) {
      if (!(at >= 0 && bytes > 0 && at + bytes <= file.length && reason)) throw new Error(`corrupt region ${at}+${bytes} of ${file.length}: ${reason}`);
      out.corrupt.push(`${at}+${bytes}`);
    },
  };
  let tail: Uint8Array = new Uint8Array(0);
  let pos = 0;
  let steps = 0;
  while (pos < file.length) {
    if (++steps > file.length + 16) throw new Error('reading makes no progress');
    const want = Math.max(readSize, reader.need - tail.length);
    if (!(reader.need >= 0 && reader.need <= MAX_RECORD_BYTES + 16)) throw new Error(`need ${reader.need}`);
    const got = file.subarray(pos, pos + want);
    // A fresh buffer per read, as the importer allocates one (packets are views of it).
    const buf = new Uint8Array(tail.length + got.length);
    buf.set(tail);
    buf.set(got, tail.length);
    pos += got.length;
    current = buf;
    const consumed = reader.parse(buf, sink);
    if (!(consumed >= 0 && consumed <= buf.length)) throw new Error(`consumed ${consumed} of ${buf.length}`);
    tail = buf.subarray(consumed);
    if (reader.error) break;
  }
  if (!reader.error) {
    current = tail;
    out.cutAtEnd = (reader.end ? reader.end(tail, sink) : tail.length) + reader.held;
    if (!(out.cutAtEnd >= 0 && out.cutAtEnd <= file.length)) throw new Error(`cut ${out.cutAtEnd}`);
  }
  out.error = reader.error;
  if (out.error !== null && (typeof out.error !== 'string' || !out.error)) throw new Error('an error without a message');
  if (reader.packets !== out.packets.length) throw new Error(`packets ${reader.packets} counted, ${out.packets.length} delivered`);
  if (out.packets.length > file.length / 16) throw new Error(`${out.packets.length} packets from ${file.length} bytes`);
  flows?.finish(0);
  return out;
}

function flowTable(): FlowTable {
  const handle: ConnectionHandle = {
    data: (_d, bytes) => {
      if (!(bytes instanceof Uint8Array)) throw new Error('data is not bytes');
    },
    gap: (_d, bytes) => {
      if (!(bytes > 0)) throw new Error(`gap of ${bytes}`);
    },
    event: () => {},
    close: () => {},
  };
  // Small reassembly limits, so that the fuzz reaches the give-up paths.
  return new FlowTable({ ports: new Set([61613]), open: () => handle, notice: () => {}, limits: { maxPendingBytes: 2048, maxPendingSegments: 8, maxTotalPendingBytes: 4096 } });
}

function kindOf(file: Uint8Array, rng: Rng): Kind | null {
  const d = detectFormat(file.subarray(0, 16));
  if (d.format === null) {
    if (typeof d.reason !== 'string' || !d.reason) throw new Error('no reason');
    return null;
  }
  if (d.format === 'pcapng') return 'pcapng';
  // Microsecond pcap goes through pcap-parser in the importer; our reader must take it as well.
  return d.format === 'pcap' && rng.chance(0.5) ? 'pcap-parser' : 'pcap';
}

/** What the cases reached, so that a fuzz that never gets past the file header cannot pass unnoticed. */
const reached = { files: 0, notCapture: 0, packets: 0, corrupt: 0, error: 0, cut: 0 };

/** One file: read whole, and in small random reads; the packets and the verdict must be the same. */
function checkFile(file: Uint8Array, rng: Rng): void {
  reached.files++;
  const kind = kindOf(file, rng);
  if (kind === null) {
    reached.notCapture++;
    return;
  }
  const whole = read(kind, file, file.length + 1, flowTable());
  if (whole.packets.length) reached.packets++;
  if (whole.corrupt.length) reached.corrupt++;
  if (whole.error) reached.error++;
  if (whole.cutAtEnd) reached.cut++;
  // Tiny reads now and then (each re-presents the unconsumed tail: quadratic on a long record, so not always).
  const small = read(kind, file, 1 + rng.int(rng.chance(0.1) ? 16 : 400), null);
  if (whole.packets.length !== small.packets.length || whole.packets.some((p, i) => p !== small.packets[i]) || whole.error !== small.error) {
    expect({ ...small, packets: small.packets.length }, `${kind}: reads of another size give other packets`).toEqual({ ...whole, packets: whole.packets.length });
    expect(small.packets).toEqual(whole.packets);
  }
}

describe('fuzz: capture readers, dissection and flows', () => {
  it(`mutated pcap and pcapng files (${RUNS} cases): never throw, always end, bounded, independent of read sizes`, async () => {
    await fuzz('capture/mutation', fc.record({ index: fc.nat({ max: SEEDS.length - 1 }), seed: fc.integer() }), ({ index, seed }) => {
      const rng = new Rng(seed);
      const file = mutate(SEEDS[index], rng, { dictionary: DICTIONARY, corpus: SEEDS, maxLength: 4096 });
      checkFile(file, rng);
    });
    // Most mutated files are still read in part, and each kind of damage is met.
    const share = (n: number) => n / reached.files;
    expect(share(reached.packets)).toBeGreaterThan(0.5);
    for (const k of ['notCapture', 'corrupt', 'error', 'cut'] as const) expect(share(reached[k]), k).toBeGreaterThan(0.005);
  }, timeoutFor(RUNS, 400));

  it(`generated block soup (${RUNS / 10} cases): a valid header followed by generated records`, async () => {
    // Records with arbitrary lengths and contents after a valid file header: the length fields are what the
    // readers trust most.
    const u32 = fc.oneof(fc.constantFrom(0, 1, 12, 16, 28, 32, 0xffffffff, 0x7fffffff, 64 * 1024 * 1024), fc.nat({ max: 200 }));
    const record = fc.tuple(fc.constantFrom(0x0a0d0d0a, 1, 2, 3, 4, 5, 6, 0xbad, 0x12345678), u32, fc.uint8Array({ maxLength: 48 }), fc.boolean());
    const arb = fc.tuple(fc.nat({ max: SEEDS.length - 1 }), fc.array(record, { maxLength: 8 }), fc.integer());
    await fuzz('capture/records', arb, ([index, records, seed]) => {
      const seedFile = SEEDS[index];
      const ng = seedFile[0] === 0x0a;
      const head = seedFile.subarray(0, ng ? 28 + 20 : 24);
      const parts: Uint8Array[] = [head];
      for (const [type, len, body, trailer] of records) {
        const r = new Uint8Array(8 + body.length + (trailer ? 4 : 0));
        const dv = new DataView(r.buffer);
        dv.setUint32(0, type, true);
        dv.setUint32(4, len, true);
        r.set(body, 8);
        if (trailer) dv.setUint32(r.length - 4, len, true);
        parts.push(r);
      }
      checkFile(Buffer.concat(parts), new Rng(seed));
    }, { runs: Math.max(1, Math.floor(RUNS / 10)) });
  }, timeoutFor(RUNS / 10, 400));
});
