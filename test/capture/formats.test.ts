// Every file format and link layer the importer reads, each carrying the same STOMP conversation built from the
// specs (synth.ts): the imported frames, heart-beats, times and direction must be identical whichever way the
// packets were written. Then the flow logic: direction by handshake / content / port, mid-stream pick-up, gaps,
// snap-length cuts, resets, port reuse, and flows that are not STOMP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import pcapParser from 'pcap-parser';
import { EventEmitter } from 'node:events';
import { PcapReader } from '../../src-main/core/capture/pcap-reader.js';
import { PcapngReader } from '../../src-main/core/capture/pcapng-reader.js';
import { Conversation, LINKTYPE_OF, pcapFile, pcapngFile, type CapturedPacket, type Link } from './support/synth.js';
import { importBytes, tempDir, type ImportedCapture } from './support/import-helper.js';

const enc = (s: string) => Buffer.from(s, 'utf8');
const T0 = 1_700_000_000_123_456;

const CONNECT = 'CONNECT\naccept-version:1.1,1.2\nhost:/\nheart-beat:1000,1000\n\n\0';
const CONNECTED = 'CONNECTED\nversion:1.2\nheart-beat:1000,1000\nserver:test\n\n\0';
const BINARY = Buffer.concat([Buffer.from('SEND\ndestination:/queue/a\ncontent-length:6000\n\n'), Buffer.alloc(6000, 0), Buffer.from('\0')]);
const MESSAGE = 'MESSAGE\ndestination:/queue/a\nmessage-id:m\\c1\nsubscription:s\\n1\nack:a1\n\nhéllo\0';

/** A conversation with a multi-segment binary body, escaped headers and heart-beats (1-byte packets). */
function conversation(client = { ip: '10.1.1.1', port: 51000 }, broker = { ip: '10.1.1.2', port: 61613 }, o: { isnC?: number; isnB?: number } = {}) {
  return new Conversation(client, broker, { time: T0, ...o })
    .handshake()
    .send('c', enc(CONNECT))
    .send('b', enc(CONNECTED))
    .send('c', enc('\n'))
    .send('c', BINARY, 1448)
    .send('b', enc(MESSAGE))
    .send('b', enc('\n'))
    .send('c', enc('DISCONNECT\nreceipt:bye\n\n\0'))
    .send('b', enc('RECEIPT\nreceipt-id:bye\n\n\0'))
    .close();
}

const EXPECTED = [
  { from: 'client', command: 'CONNECT' },
  { from: 'broker', command: 'CONNECTED' },
  { from: 'client', command: 'SEND', bodyLength: 6000 },
  { from: 'broker', command: 'MESSAGE', body: 'héllo', headers: [['destination', '/queue/a'], ['message-id', 'm:1'], ['subscription', 's\n1'], ['ack', 'a1']] },
  { from: 'client', command: 'DISCONNECT' },
  { from: 'broker', command: 'RECEIPT' },
];

function expectConversation(got: ImportedCapture, what: string) {
  expect(got.result.error, what).toBeUndefined();
  expect(got.result.complete, what).toBe(true);
  expect(got.result.warnings, what).toEqual([]);
  expect(got.connections, what).toHaveLength(1);
  const c = got.connections[0];
  expect([c.client, c.broker, c.version], what).toEqual(['10.1.1.1:51000', '10.1.1.2:61613', '1.2']);
  // Each EOL directly follows a frame's NUL: it only ends that frame, it is no heart-beat.
  expect(c.heartbeats, what).toEqual({ client: 0, broker: 0 });
  expect(got.frames.map((f) => ({ from: f.from, command: f.command })), what).toEqual(EXPECTED.map((e) => ({ from: e.from, command: e.command })));
  expect(got.frames[2].bodyLength).toBe(6000);
  expect(got.frames[3]).toMatchObject({ body: 'héllo', headers: EXPECTED[3].headers });
  // Times from the capture: CONNECT is the 4th packet, 10 µs apart, and the ns variant is not rounded up.
  expect(got.frames[0].time, what).toBe('2023-11-14T22:13:20.123496Z');
  expect(got.frames.flatMap((f) => f.issues), what).toEqual([]);
  // The CONNECT and CONNECTED negotiate heart-beats: a connection-level note, on no frame.
  expect(got.issues.map((i) => i.code).sort(), what).toEqual(['heartbeat-negotiated', 'tcp-fin', 'tcp-fin', 'tcp-syn']);
}

describe('capture formats and link layers', () => {
  let dir = '';
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const links: Link[] = ['ethernet', 'vlan', 'qinq', 'sll', 'sll2', 'null', 'raw', 'ipv4'];
  for (const link of links) {
    for (const [fmt, opts] of [
      ['pcap µs LE (pcap-parser)', { nano: false, bigEndian: false }],
      ['pcap µs BE (pcap-parser)', { nano: false, bigEndian: true }],
      ['pcap ns LE', { nano: true, bigEndian: false }],
      ['pcap ns BE', { nano: true, bigEndian: true }],
    ] as const) {
      it(`${fmt}, link ${link}`, async () => {
        const file = pcapFile(conversation().captured(link), { linkType: LINKTYPE_OF[link], ...opts });
        expectConversation(await importBytes(dir, file), `${fmt} ${link}`);
      });
    }
    for (const bigEndian of [false, true]) {
      it(`pcapng ${bigEndian ? 'BE' : 'LE'} (if_tsresol ns), link ${link}`, async () => {
        const file = pcapngFile([{ interfaces: [{ linkType: LINKTYPE_OF[link], tsresol: 9 }], packets: conversation().captured(link), bigEndian, junkBlocks: true }]);
        expectConversation(await importBytes(dir, file, {}, `f-${link}-${bigEndian}.pcapng`), `pcapng ${link}`);
      });
    }
  }

  it('IPv6 with hop-by-hop and destination-options extension headers, over Ethernet and raw IPv6', async () => {
    for (const link of ['ethernet', 'ipv6'] as Link[]) {
      const conv = conversation({ ip: '2001:db8::1', port: 51000 }, { ip: '2001:db8::2', port: 61613 });
      const got = await importBytes(dir, pcapFile(conv.captured(link, { ipv6Ext: true }), { linkType: LINKTYPE_OF[link] }));
      expect(got.connections.map((c) => [c.client, c.broker])).toEqual([['[2001:db8::1]:51000', '[2001:db8::2]:61613']]);
      expect(got.frames.map((f) => f.command)).toEqual(EXPECTED.map((e) => e.command));
    }
  });

  it('BSD NULL link type in either byte order of the writer', async () => {
    const packets = conversation().captured('raw').map((p) => {
      const d = new Uint8Array(4 + p.data.length);
      d.set([0, 0, 0, 2]); // AF_INET written big-endian
      d.set(p.data, 4);
      return { ...p, data: d };
    });
    expectConversation(await importBytes(dir, pcapFile(packets, { linkType: 0 })), 'NULL big-endian');
  });

  it('pcapng: several sections (byte orders differ), several interfaces with their own link type and resolution, simple packet blocks', async () => {
    const a = conversation().captured('ethernet');
    const half = 12;
    // Section 1 (LE): interface 0 Ethernet µs, interface 1 SLL2 with 2^-20 s units; packets alternate interfaces.
    const sll2 = conversation().captured('sll2');
    const s1 = a.slice(0, half).map((p, i) => (i % 2 ? { ...sll2[i], iface: 1 } : p));
    // Section 2 (BE): interface ids start again at 0: raw IPv4 in ns.
    const raw = conversation().captured('ipv4').slice(half).map((p) => ({ ...p }));
    const file = pcapngFile([
      { interfaces: [{ linkType: 1 }, { linkType: 276, tsresol: 0x80 | 20 }], packets: s1 },
      { interfaces: [{ linkType: 228, tsresol: 9 }], packets: raw, bigEndian: true },
    ]);
    const got = await importBytes(dir, file, {}, 'multi.pcapng');
    expect(got.result.warnings).toEqual([]);
    expect(got.frames.map((f) => f.command)).toEqual(EXPECTED.map((e) => e.command));
    expect(got.session!.meta.linkTypes).toEqual(['EN10MB (1)', 'LINUX_SLL2 (276)', 'IPV4 (228)']);
    // 2^-20 s units are not exact in µs: within a microsecond.
    expect(Math.abs(Date.parse(got.frames[0].time.slice(0, 23) + 'Z') * 1000 + Number(got.frames[0].time.slice(23, 26)) - (T0 + 40))).toBeLessThanOrEqual(1);

    // Simple packet blocks: no timestamps (the session still gets one), interface 0 only.
    const spb = pcapngFile([{ interfaces: [{ linkType: 1, snaplen: 65535 }], packets: conversation().captured('ethernet'), simple: true }]);
    const got2 = await importBytes(dir, spb, {}, 'spb.pcapng');
    expect(got2.frames.map((f) => f.command)).toEqual(EXPECTED.map((e) => e.command));
  });

  it('an unsupported link type is reported (warning and session issue), not silently dropped', async () => {
    const file = pcapFile(conversation().captured('ethernet'), { linkType: 105 }); // IEEE 802.11
    const got = await importBytes(dir, file);
    expect(got.result.warnings).toEqual([expect.stringMatching(/^\d+ packets of link type IEEE802_11 \(105\) skipped/)]);
    expect(got.issues.map((i) => [i.code, i.connection_id])).toEqual([['unsupported-link-type', null]]);
    expect(got.connections).toEqual([]);
  });

  it('our classic pcap reader and pcap-parser read the same packets from the same file', async () => {
    const file = pcapFile(conversation().captured('ethernet'), { linkType: 1 });
    const ours: string[] = [];
    const r = new PcapReader('pcap');
    r.parse(file, { packet: (lt, t, d, o) => ours.push(`${lt} ${t} ${o} ${Buffer.from(d).toString('hex')}`) });
    const theirs: string[] = [];
    const input = Object.assign(new EventEmitter(), { pause() {}, resume() {} });
    const p = pcapParser.parse(input);
    p.on('packet', (pk) => theirs.push(`1 ${pk.header.timestampSeconds * 1e6 + pk.header.timestampMicroseconds} ${pk.header.originalLength} ${pk.data.toString('hex')}`));
    input.emit('data', Buffer.from(file));
    expect(ours.length).toBeGreaterThan(20);
    expect(ours).toEqual(theirs);
    // And the pcapng reader agrees with both on the same packets.
    const ng: string[] = [];
    new PcapngReader().parse(pcapngFile([{ interfaces: [{ linkType: 1 }], packets: conversation().captured('ethernet') }]), {
      packet: (lt, t, d, o) => ng.push(`${lt} ${t} ${o} ${Buffer.from(d).toString('hex')}`),
    });
    expect(ng).toEqual(ours);
  });
});

describe('flows: which are STOMP, which side is the client, and what happened to them', () => {
  let dir = '';
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const pcap = (packets: CapturedPacket[]) => pcapFile(packets, { linkType: 1 });

  it('by content on any port: a flow that opens with CONNECT is STOMP; HTTP and other protocols are not', async () => {
    const stomp = conversation({ ip: '10.0.0.1', port: 40001 }, { ip: '10.0.0.2', port: 9999 });
    const http = new Conversation({ ip: '10.0.0.1', port: 40002 }, { ip: '10.0.0.3', port: 8080 }, { time: T0 })
      .handshake().send('c', enc('GET / HTTP/1.1\r\nHost: x\r\n\r\n')).send('b', enc('HTTP/1.1 200 OK\r\n\r\n')).close();
    const smtp = new Conversation({ ip: '10.0.0.1', port: 40003 }, { ip: '10.0.0.4', port: 25 }, { time: T0 })
      .handshake().send('b', enc('220 mail ESMTP\r\n')).send('c', enc('EHLO x\r\n')).close();
    const got = await importBytes(dir, pcap([...stomp.captured(), ...http.captured(), ...smtp.captured()].sort((a, b) => a.time - b.time)));
    expect(got.connections.map((c) => c.broker)).toEqual(['10.0.0.2:9999']);
    expect(got.frames.map((f) => f.command)).toEqual(EXPECTED.map((e) => e.command));
  });

  it('8080 carrying plain STOMP is found by its content', async () => {
    const conv = conversation({ ip: '10.0.0.1', port: 40001 }, { ip: '10.0.0.2', port: 8080 });
    const got = await importBytes(dir, pcap(conv.captured()));
    expect(got.frames.map((f) => f.command)).toEqual(EXPECTED.map((e) => e.command));
  });

  it('--port makes a flow STOMP whatever its first bytes; without it, such a flow is skipped', async () => {
    const conv = new Conversation({ ip: '10.0.0.1', port: 40001 }, { ip: '10.0.0.2', port: 7777 }, { time: T0 })
      .handshake().send('c', Buffer.from([1, 2, 3, 0])).send('c', enc(CONNECT)).send('b', enc(CONNECTED)).close();
    expect((await importBytes(dir, pcap(conv.captured()))).connections).toEqual([]);
    const got = await importBytes(dir, pcap(conv.captured()), { ports: [7777] });
    expect(got.connections).toHaveLength(1);
    expect(got.frames.map((f) => [f.from, f.command])).toEqual([['client', 'CONNECT'], ['broker', 'CONNECTED']]);
    expect(got.issues.map((i) => i.code)).toContain('garbage');
  });

  it('mid-stream pick-up: no handshake, first bytes inside a frame; decoding starts at the first frame boundary, direction by content', async () => {
    const conv = conversation();
    // Drop the handshake and the first 5 data packets (CONNECT, CONNECTED, heart-beat and their ACKs), and cut
    // the capture in the middle of the multi-segment SEND: the first bytes seen are body bytes.
    const packets = conv.captured().slice(3 + 6 + 2);
    const got = await importBytes(dir, pcap(packets));
    expect(got.connections).toHaveLength(1);
    expect([got.connections[0].client, got.connections[0].broker]).toEqual(['10.1.1.1:51000', '10.1.1.2:61613']);
    expect(got.frames.map((f) => [f.from, f.command])).toEqual([['broker', 'MESSAGE'], ['client', 'DISCONNECT'], ['broker', 'RECEIPT']]);
    expect(got.frames.flatMap((f) => f.issues)).toEqual([]);
    expect(got.issues.filter((i) => i.code === 'tcp-midstream').length).toBe(2);
    expect(got.issues.map((i) => i.code)).not.toContain('garbage');
  });

  it('direction without a handshake: a broker-only command (MESSAGE) from the low port still makes the other side the client', async () => {
    // Client on a lower port than the broker, no handshake, broker speaks first in the capture: only content tells.
    const conv = new Conversation({ ip: '10.0.0.9', port: 2000 }, { ip: '10.0.0.8', port: 5000 }, { time: T0 })
      .send('b', enc(MESSAGE)).send('c', enc('ACK\nid:a1\n\n\0'));
    const got = await importBytes(dir, pcap(conv.captured()));
    expect(got.connections.map((c) => [c.client, c.broker])).toEqual([['10.0.0.9:2000', '10.0.0.8:5000']]);
    expect(got.frames.map((f) => [f.from, f.command])).toEqual([['broker', 'MESSAGE'], ['client', 'ACK']]);
  });

  it('direction by port when nothing else tells (heart-beats only on 61613), noted as a guess', async () => {
    const conv = new Conversation({ ip: '10.0.0.1', port: 61613 }, { ip: '10.0.0.2', port: 45000 }, { time: T0 })
      .send('c', enc('\n')).send('b', enc('\n'));
    const got = await importBytes(dir, pcap(conv.captured()));
    expect(got.connections.map((c) => [c.client, c.broker])).toEqual([['10.0.0.2:45000', '10.0.0.1:61613']]);
    expect(got.issues.map((i) => i.code)).toContain('direction-guessed');
  });

  it('a lost segment: a tcp-gap issue with its size, the cut frame dropped, decoding resumes at the next frame', async () => {
    const conv = conversation();
    const packets = conv.captured();
    // The SEND spans 5 segments (packets 11, 13, 15, 17, 19 with ACKs between): lose the second one.
    const sendSegments = packets.map((p, i) => [i, p] as const).filter(([, p]) => p.data.length > 1000);
    const lost = sendSegments[1][0];
    const got = await importBytes(dir, pcap(packets.filter((_, i) => i !== lost)));
    expect(got.frames.map((f) => f.command)).toEqual(['CONNECT', 'CONNECTED', 'MESSAGE', 'DISCONNECT', 'RECEIPT']);
    const gap = got.issues.find((i) => i.code === 'tcp-gap');
    expect(gap?.message).toBe('1448 bytes missing from the capture');
    expect(got.issues.map((i) => i.code)).toEqual(expect.arrayContaining(['tcp-segments-missing', 'truncated-frame']));
    expect(got.result.complete).toBe(true);
  });

  it('packets cut by the snap length count as gaps', async () => {
    const packets = conversation().captured().map((p) => (p.data.length > 1000 ? { ...p, data: p.data.subarray(0, 200), origLen: p.data.length } : p));
    const got = await importBytes(dir, pcap(packets));
    expect(got.issues.filter((i) => i.code === 'snaplen-cut').length).toBeGreaterThan(0);
    expect(got.frames.map((f) => f.command)).toEqual(['CONNECT', 'CONNECTED', 'MESSAGE', 'DISCONNECT', 'RECEIPT']);
  });

  it('reordered and duplicated packets change nothing', async () => {
    const packets = conversation().captured();
    const shuffled = [...packets];
    // Swap neighbours in the SEND, and duplicate some packets (retransmissions).
    for (let i = 11; i + 2 < 20; i += 4) [shuffled[i], shuffled[i + 2]] = [shuffled[i + 2], shuffled[i]];
    const withDups = shuffled.flatMap((p, i) => (i % 5 === 0 ? [p, p] : [p]));
    expectConversation(await importBytes(dir, pcap(withDups)), 'reordered + duplicated');
  });

  it('RST ends the connection; a new handshake on the same ports is a new connection', async () => {
    const c = { ip: '10.0.0.1', port: 40000 };
    const b = { ip: '10.0.0.2', port: 61613 };
    const first = new Conversation(c, b, { time: T0 }).handshake().send('c', enc(CONNECT)).rst('b');
    const second = new Conversation(c, b, { time: T0 + 1000, isnC: 999_999 }).handshake().send('c', enc(CONNECT)).send('b', enc(CONNECTED)).close();
    const got = await importBytes(dir, pcap([...first.captured(), ...second.captured()]));
    expect(got.connections.map((x) => x.closeReason)).toEqual(['RST from broker', 'FIN from both sides']);
    expect(got.frames.map((f) => [f.connection, f.command])).toEqual([[got.connections[0].connection, 'CONNECT'], [got.connections[1].connection, 'CONNECT'], [got.connections[1].connection, 'CONNECTED']]);
    expect(got.issues.map((i) => i.code)).toContain('tcp-rst');
  });

  it('a connection refused on 61613 (SYN, RST) is recorded; stray packets are not', async () => {
    const refused = new Conversation({ ip: '10.0.0.1', port: 40000 }, { ip: '10.0.0.2', port: 61613 }, { time: T0 });
    refused.handshake();
    const packets = refused.captured().slice(0, 1);
    const rst = new Conversation({ ip: '10.0.0.2', port: 61613 }, { ip: '10.0.0.1', port: 40000 }, { time: T0 + 5 }).rst('c').captured();
    const stray = new Conversation({ ip: '10.0.0.5', port: 40000 }, { ip: '10.0.0.6', port: 61613 }, { time: T0 + 9 }).send('c', new Uint8Array(0)).captured();
    const got = await importBytes(dir, pcap([...packets, ...rst, ...stray]));
    expect(got.connections.map((c) => [c.client, c.closeReason])).toEqual([['10.0.0.1:40000', 'RST from broker']]);
  });

  it('TLS on 61614 without a key log is listed as a TLS connection, not decrypted, with what is missing', async () => {
    const conv = new Conversation({ ip: '10.0.0.1', port: 40000 }, { ip: '10.0.0.2', port: 61614 }, { time: T0 })
      .handshake().send('c', Buffer.from([0x16, 0x03, 0x01, 0x00, 0x10, 1, 2, 3])).close();
    const got = await importBytes(dir, pcap(conv.captured()));
    expect(got.connections.map((c) => c.transport)).toEqual(['tls']);
    expect(got.frames).toEqual([]);
    expect(got.issues.filter((i) => i.code.startsWith('tls-')).map((i) => i.code)).toEqual(['tls-record-cut', 'tls-undecrypted']);
    expect(got.result.warnings).toEqual([expect.stringMatching(/^1 TLS connection\(s\) not decrypted, e.g. 10.0.0.1:40000 ⇄ 10.0.0.2:61614 is TLS and not decrypted \(the ClientHello is not in the capture/)]);
  });
});

describe('pcapng: obsolete packet blocks (Appendix A of the pcapng draft)', () => {
  it('reads the packet block that came before the enhanced one, with its 16-bit interface id', async () => {
    const c = new Conversation({ ip: '10.0.0.1', port: 40001 }, { ip: '10.0.0.2', port: 61613 })
      .handshake()
      .send('c', Buffer.from('CONNECT\naccept-version:1.2\nhost:/\n\n\0'))
      .send('b', Buffer.from('CONNECTED\nversion:1.2\n\n\0'))
      .send('c', Buffer.from('SEND\ndestination:/q\n\nold block\0'))
      .close();
    const epb = pcapngFile([{ interfaces: [{ linkType: 1 }], packets: c.captured() }]);
    // With interface 0 in little-endian order an EPB's body reads the same as an OPB's (16-bit interface 0,
    // 16-bit drops count): only the block type differs (6 → 2). A non-zero drops count checks that the
    // interface id is read as 16 bits.
    const opb = Buffer.from(epb);
    let packetBlocks = 0;
    for (let p = 0; p < opb.length; p += opb.readUInt32LE(p + 4)) {
      if (opb.readUInt32LE(p) === 6) {
        opb.writeUInt32LE(2, p);
        opb.writeUInt16LE(5, p + 10);
        packetBlocks++;
      }
    }
    expect(packetBlocks).toBe(c.packets.length);
    const dir = tempDir();
    try {
      const a = await importBytes(dir, epb, {}, 'epb.pcapng');
      const b = await importBytes(dir, opb, {}, 'opb.pcapng');
      expect(b.result.packets).toBe(c.packets.length);
      expect(b.frames.map((f) => `${f.from} ${f.command} ${f.body}`)).toEqual(a.frames.map((f) => `${f.from} ${f.command} ${f.body}`));
      expect(b.frames.map((f) => f.command)).toEqual(['CONNECT', 'CONNECTED', 'SEND']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
