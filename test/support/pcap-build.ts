// Writes a small classic pcap (Ethernet, IPv4, TCP) of one STOMP conversation, for tests that import a capture
// without running tcpdump.
function ipChecksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i] << 8) | (b[i + 1] ?? 0);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

const SYN = 0x02;
const ACK = 0x10;
const PSH = 0x08;
const FIN = 0x01;

export function stompPcap(messages: Array<{ from: 'client' | 'broker'; data: string | Uint8Array }>, opts: { clientPort?: number; brokerPort?: number } = {}): Buffer {
  const cport = opts.clientPort ?? 50123;
  const bport = opts.brokerPort ?? 61613;
  const client = [127, 0, 0, 1];
  const broker = [127, 0, 0, 2];
  const seq = { client: 1000, broker: 5000 };
  const packets: Buffer[] = [];
  let t = 1_700_000_000 * 1e6;
  const packet = (from: 'client' | 'broker', flags: number, payload: Buffer) => {
    const to = from === 'client' ? 'broker' : 'client';
    const tcp = Buffer.alloc(20);
    tcp.writeUInt16BE(from === 'client' ? cport : bport, 0);
    tcp.writeUInt16BE(from === 'client' ? bport : cport, 2);
    tcp.writeUInt32BE(seq[from] >>> 0, 4);
    tcp.writeUInt32BE(flags & ACK ? seq[to] >>> 0 : 0, 8);
    tcp[12] = 5 << 4;
    tcp[13] = flags;
    tcp.writeUInt16BE(65535, 14);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 20 + payload.length, 2);
    ip.writeUInt16BE(packets.length + 1, 4);
    ip.writeUInt16BE(0x4000, 6);
    ip[8] = 64;
    ip[9] = 6;
    Buffer.from(from === 'client' ? client : broker).copy(ip, 12);
    Buffer.from(from === 'client' ? broker : client).copy(ip, 16);
    ip.writeUInt16BE(ipChecksum(ip), 10);
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(0x0800, 12);
    const frame = Buffer.concat([eth, ip, tcp, payload]);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(t / 1e6), 0);
    rec.writeUInt32LE(t % 1e6, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    packets.push(rec, frame);
    t += 1000;
    seq[from] += payload.length + (flags & (SYN | FIN) ? 1 : 0);
  };
  packet('client', SYN, Buffer.alloc(0));
  packet('broker', SYN | ACK, Buffer.alloc(0));
  packet('client', ACK, Buffer.alloc(0));
  for (const m of messages) packet(m.from, PSH | ACK, typeof m.data === 'string' ? Buffer.from(m.data, 'utf8') : Buffer.from(m.data));
  packet('client', FIN | ACK, Buffer.alloc(0));
  packet('broker', FIN | ACK, Buffer.alloc(0));
  packet('client', ACK, Buffer.alloc(0));
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  return Buffer.concat([header, ...packets]);
}

/** A short STOMP 1.2 conversation with a SEND to /queue/imported. */
export const IMPORTED_CONVERSATION: Array<{ from: 'client' | 'broker'; data: string }> = [
  { from: 'client', data: 'CONNECT\naccept-version:1.2\nhost:/\n\n\0' },
  { from: 'broker', data: 'CONNECTED\nversion:1.2\n\n\0' },
  { from: 'client', data: 'SEND\ndestination:/queue/imported\ncontent-type:application/json\n\n{"from":"pcap"}\0' },
  { from: 'client', data: 'DISCONNECT\nreceipt:bye\n\n\0' },
  { from: 'broker', data: 'RECEIPT\nreceipt-id:bye\n\n\0' },
];
