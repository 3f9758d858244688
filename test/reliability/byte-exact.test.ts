// Byte-exactness at volume: N frames of mixed sizes, malformed pieces mixed in, through the recording
// proxy, with random write fragmentation and a randomly slow reader on each side. The peers are fakes on
// loopback on purpose: this is about bytes, and a real broker would not send malformed frames on demand.
// Proved: the bytes out equal the bytes in, both ways (SHA-256 of each side's stream), the recorded raw
// bytes equal them too, and every frame sent is recorded (rows counted by command and direction), every
// malformed piece as the issue it should be.
//
// CI: 50,000 frames per direction. `npm run soak`: 1,000,000. Reproduce a failure with STOMPSCOPE_SEED=<seed>.
import { afterEach, describe, expect, it } from 'vitest';
import { createHash, type Hash } from 'node:crypto';
import type net from 'node:net';
import path from 'node:path';
import { StompProxy } from '../../src-main/core/proxy/proxy.js';
import { Recorder } from '../../src-main/core/record/recorder.js';
import { ProxyRules } from '../../src-main/core/proxy/rules-engine.js';
import { checkRules } from '../../shared/rules/rules.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { closeServer, connect, listen, mib, MiB, portOf, removeTmpDirs, rng, seed, size, sleep, SOAK, tmpDir, writeAll } from './support.js';

const FRAMES = size('FRAMES', 50_000, 1_000_000);
/** The writers wait while the recorder has more than this to catch up on (its budget is 256 MiB). */
const RECORDER_BACKLOG = 64 * MiB;

afterEach(removeTmpDirs);

type Rng = ReturnType<typeof rng>;
type Dir = 'client' | 'broker';

/** What one direction's generated stream should produce once recorded. */
interface Expected {
  frames: Map<string, number>;
  issues: Map<string, number>;
  heartbeats: number;
  bytes: number;
}

const bump = (m: Map<string, number>, k: string, n = 1) => m.set(k, (m.get(k) ?? 0) + n);

/** Issues about the bytes themselves (decoder, recorder): every one must be expected. */
const WIRE_CODES = new Set(['garbage', 'unknown-command', 'malformed-header', 'content-length-mismatch', 'truncated-frame', 'bad-content-length',
  'line-too-long', 'too-many-headers', 'body-too-large', 'mixed-line-endings', 'unexpected-body', 'undefined-escape', 'recording-overload', 'recording-failed',
  'recording-paused', 'connection-error']);

// Bodies are slices of these: text without NUL for NUL-terminated bodies, anything for content-length ones.
const TEXT = Buffer.from('{"order":42,"items":["a","b"],"note":"naïve café ✓"} lorem ipsum dolor sit amet '.repeat(1200), 'utf8');
const BINARY = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919 + (i >> 3)) & 0xff));

function bodyLength(r: Rng): number {
  const p = r.next();
  if (p < 0.7) return r.int(0, 100);
  if (p < 0.99) return r.int(101, 4000);
  return r.int(4001, 66_000);
}

/**
 * The stream of one direction, piece by piece: frames (text and binary bodies, CRLF lines, escaped headers),
 * heart-beats, and malformed pieces whose decoding is known (garbage, an unknown command, a header line
 * without a colon, a content-length the NUL does not follow).
 */
function* stream(dir: Dir, r: Rng, n: number, exp: Expected): Generator<Buffer> {
  const frame = (command: string, b: Buffer) => {
    bump(exp.frames, command);
    exp.bytes += b.length;
    return b;
  };
  const raw = (b: Buffer) => {
    exp.bytes += b.length;
    return b;
  };
  yield dir === 'client'
    ? frame('CONNECT', Buffer.from('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\nheart-beat:0,0\n\n\0'))
    : frame('CONNECTED', Buffer.from('CONNECTED\nversion:1.2\nheart-beat:0,0\nserver:fake/1.0\n\n\0'));
  const main = dir === 'client' ? 'SEND' : 'MESSAGE';
  // After garbage the decoder resynchronises only at a known command (an unknown one is more garbage).
  let afterGarbage = false;
  for (let i = 1; i < n; i++) {
    const p = r.next();
    if (p < 0.008) {
      // Malformed pieces: each is one frame or none, with known issues.
      let k = r.int(0, 3);
      if (k === 1 && afterGarbage) k = 2;
      afterGarbage = k === 0 || k === 3;
      if (k === 0) {
        bump(exp.issues, 'garbage');
        yield raw(Buffer.from(`\x01\x02 not a frame ${i} \xff\xfe\0`, 'latin1'));
        i--; // not a frame
      } else if (k === 1) {
        bump(exp.issues, 'unknown-command');
        yield frame('FROB', Buffer.from(`FROB\nx:${i}\n\nwhat\0`));
      } else if (k === 2) {
        bump(exp.issues, 'malformed-header');
        yield frame(main, Buffer.from(`${main}\ndestination:/queue/m\nno colon here ${i}\n\nbody\0`));
      } else {
        // Cut after 2 bytes: a frame with content-length-mismatch, then "dy\0" as garbage.
        bump(exp.issues, 'content-length-mismatch');
        bump(exp.issues, 'garbage');
        yield frame(main, Buffer.from(`${main}\ndestination:/queue/m\ncontent-length:2\n\nbody\0`));
      }
      continue;
    }
    afterGarbage = false;
    const len = bodyLength(r);
    let f: Buffer;
    if (p < 0.45) {
      const at = r.int(0, TEXT.length - len - 1);
      let body = TEXT.subarray(at, at + len);
      // Do not cut a UTF-8 sequence in two: harmless to the wire, but keeps the bodies readable text.
      while (body.length && (body[0] & 0xc0) === 0x80) body = body.subarray(1);
      const head = dir === 'client'
        ? `SEND\ndestination:/queue/r${i % 17}\nreceipt:r-${i}\ncontent-type:text/plain\n\n`
        : `MESSAGE\ndestination:/queue/r${i % 17}\nmessage-id:m-${i}\nsubscription:0\nack:a-${i}\n\n`;
      f = frame(main, Buffer.concat([Buffer.from(head), body, Buffer.from([0])]));
    } else if (p < 0.8) {
      const at = r.int(0, BINARY.length - len - 1);
      const head = dir === 'client'
        ? `SEND\r\ndestination:/queue/bin\r\ncontent-length:${len}\r\n\r\n`
        : `MESSAGE\ndestination:/queue/bin\nmessage-id:b-${i}\nsubscription:1\ncontent-length:${len}\n\n`;
      f = frame(main, Buffer.concat([Buffer.from(head), BINARY.subarray(at, at + len), Buffer.from([0])]));
    } else if (p < 0.95) {
      f = dir === 'client'
        ? frame('ACK', Buffer.from(`ACK\nid:a-${i}\n\n\0`))
        : frame('RECEIPT', Buffer.from(`RECEIPT\nreceipt-id:r-${i}\n\n\0`));
    } else {
      f = dir === 'client'
        ? frame('SUBSCRIBE', Buffer.from(`SUBSCRIBE\nid:s-${i}\ndestination:/topic/a\\cb\\\\c\nack:client-individual\n\n\0`))
        : frame('ERROR', Buffer.from(`ERROR\nmessage:bad thing\\nhappened ${i}\ncontent-type:text/plain\n\nsee the log\0`));
    }
    yield f;
    if (r.chance(0.05)) {
      // EOLs between frames: forwarded and stored like any byte, but no heart-beats, since heart-beat:0,0
      // negotiated none (and an EOL right after a NUL only ends the frame).
      const eol = r.chance(0.5) ? '\n' : '\r\n';
      yield raw(Buffer.from(eol));
    }
  }
}

/**
 * Writes the stream in random fragments (1 byte to 64 KiB), sometimes yielding so pieces leave separately. Waits
 * while the recorder is far behind: this test is about every byte and frame arriving and being recorded, and
 * forwarding never waits for the recorder, which sheds past its budget (that is tested in test/core/recording).
 */
async function writeStream(s: net.Socket, gen: Generator<Buffer>, r: Rng, hash: Hash, recorder: Recorder): Promise<void> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const emit = async (final: boolean) => {
    let buf = Buffer.concat(pending, pendingBytes);
    while (buf.length > 0) {
      const p = r.next();
      const n = p < 0.3 ? r.int(1, 16) : p < 0.7 ? r.int(17, 2000) : r.int(2001, 65_536);
      if (!final && n > buf.length) break;
      const piece = buf.subarray(0, n);
      buf = buf.subarray(piece.length);
      hash.update(piece);
      await writeAll(s, piece);
      if (r.chance(0.02)) await new Promise((res) => setImmediate(res));
    }
    pending = buf.length ? [buf] : [];
    pendingBytes = buf.length;
  };
  for (const piece of gen) {
    pending.push(piece);
    pendingBytes += piece.length;
    if (pendingBytes >= 256 * 1024) {
      while (recorder.backlogBytes > RECORDER_BACKLOG) await sleep(5);
      await emit(false);
    }
  }
  await emit(true);
  s.end();
}

/** Reads to the end, hashing; now and then stops reading for a while (a slow reader: backpressure). */
function readStream(s: net.Socket, r: Rng, progress: { bytes: number }): Promise<{ sha: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  return new Promise((resolve, reject) => {
    s.on('data', (d: Buffer) => {
      h.update(d);
      bytes += d.length;
      progress.bytes += d.length;
      if (r.chance(0.03)) {
        s.pause();
        setTimeout(() => s.resume(), r.int(1, 15));
      }
    });
    s.once('end', () => resolve({ sha: h.digest('hex'), bytes }));
    s.once('error', reject);
  });
}

/**
 * Rules that match none of the generated frames but make the proxy cut, hold and decode most of them (SEND, MESSAGE,
 * ERROR: every rule's command is one the streams carry), so the rules path is what is checked for byte-exactness.
 */
const RULES_MATCHING_NOTHING = [
  { name: 'never sent', when: 'command == "SEND" and destination == "/queue/never"', do: 'drop' },
  { name: 'never delivered', when: 'command == "MESSAGE" and header["x-never"] == "1"', do: 'delay', ms: 1000 },
  { name: 'never said', when: 'command == "ERROR" and body contains "never-there"', do: 'set-header', header: 'x', value: 'y' },
  { name: 'never acked', when: 'from == client and command == "ACK" and header["id"] == "none"', do: 'break' },
];

describe('byte-exactness at volume', () => {
  it.each([['no rules', null], ['rules that match nothing loaded', RULES_MATCHING_NOTHING]] as const)(
    `forwards ${FRAMES.toLocaleString('en')} mixed frames each way unchanged and records every one (%s)`, async (_, ruleList) => {
    const s = seed();
    const why = `seed ${s} (rerun with STOMPSCOPE_SEED=${s})`;
    console.log(`[byte-exact] ${FRAMES} frames per direction, ${why}`);
    const t0 = Date.now();
    const db = path.join(tmpDir(), 'bytes.db');
    const recorder = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'byte-exact' });

    const expected: Record<Dir, Expected> = {
      client: { frames: new Map(), issues: new Map(), heartbeats: 0, bytes: 0 },
      broker: { frames: new Map(), issues: new Map(), heartbeats: 0, bytes: 0 },
    };
    const sent = { client: createHash('sha256'), broker: createHash('sha256') };
    const progress = { bytes: 0 };
    let brokerSide!: Promise<{ sha: string; bytes: number }>;
    let brokerWrote!: Promise<void>;
    let onBroker!: (sock: net.Socket) => void;
    const broker = await listen((sock) => onBroker(sock));
    const accepted = new Promise<void>((resolveAccepted) => {
      onBroker = (sock) => {
        sock.on('error', () => {});
        brokerSide = readStream(sock, rng(s ^ 0x5eed), progress);
        brokerWrote = writeStream(sock, stream('broker', rng(s + 2), FRAMES, expected.broker), rng(s + 3), sent.broker, recorder);
        resolveAccepted();
      };
    });
    let rules: ProxyRules | null = null;
    if (ruleList) {
      const check = checkRules(ruleList);
      expect(check.errors).toEqual([]);
      rules = new ProxyRules();
      rules.set(check.rules);
    }
    const proxy = await StompProxy.start({ listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port: portOf(broker) }, recorder, rules });
    const client = await connect(proxy.address.port);
    client.on('error', () => {});
    const clientSide = readStream(client, rng(s ^ 0xc11e), progress);
    await accepted;
    const clientWrote = writeStream(client, stream('client', rng(s + 1), FRAMES, expected.client), rng(s + 4), sent.client, recorder);

    // Bounded: fail clearly if nothing moves for 30 s rather than hang until the test timeout.
    let last = -1;
    const watchdog = setInterval(() => {
      if (progress.bytes === last) {
        clearInterval(watchdog);
        client.destroy(new Error(`stalled: no byte moved for 30 s after ${progress.bytes} bytes (${why})`));
      }
      last = progress.bytes;
    }, 30_000);
    let got: [{ sha: string; bytes: number }, { sha: string; bytes: number }];
    try {
      await Promise.all([clientWrote, brokerWrote]);
      got = await Promise.all([brokerSide, clientSide]);
    } finally {
      clearInterval(watchdog);
    }
    const forwardMs = Date.now() - t0;
    const [atBroker, atClient] = got;
    expect(atBroker.bytes, `client → broker byte count, ${why}`).toBe(expected.client.bytes);
    expect(atBroker.sha, `client → broker SHA-256, ${why}`).toBe(sent.client.digest('hex'));
    expect(atClient.bytes, `broker → client byte count, ${why}`).toBe(expected.broker.bytes);
    const brokerSha = sent.broker.digest('hex');
    expect(atClient.sha, `broker → client SHA-256, ${why}`).toBe(brokerSha);
    client.destroy();
    await proxy.stop();
    await closeServer(broker);
    const summary = await recorder.end();
    const totalMs = Date.now() - t0;
    expect(recorder.shedBytes, `the recorder shed bytes under load, so not every frame could be recorded (${why})`).toBe(0);

    const reader = new StoreReader(openDb(db, { readonly: true }));
    try {
      const q = (sql: string) => reader.db.prepare(sql).all(summary.session) as Array<{ dir: number; k: string; n: number }>;
      const frames = q(`SELECT dir, command k, count(*) n FROM frames WHERE session_id = ? GROUP BY dir, command`);
      // Wire-level issues only: the generated conversation is not meant to make sense to the correlation
      // analysis (ACKs of messages never sent…), whose findings are not this test's business.
      const issues = q(`SELECT dir, code k, count(*) n FROM issues WHERE session_id = ? GROUP BY dir, code`).filter((x) => WIRE_CODES.has(x.k));
      const conn = reader.db.prepare(`SELECT * FROM connections WHERE session_id = ?`).get(summary.session) as Record<string, number>;
      for (const [code, dir] of [[0, 'client'], [1, 'broker']] as const) {
        const exp = expected[dir];
        const rows = (list: typeof frames) => Object.fromEntries(list.filter((x) => x.dir === code).map((x) => [x.k, x.n]));
        expect(rows(frames), `${dir} frames by command, ${why}`).toEqual(Object.fromEntries(exp.frames));
        expect(rows(issues), `${dir} issues by code, ${why}`).toEqual(Object.fromEntries(exp.issues));
        expect(conn[`heartbeats_${dir}`], `${dir} heart-beats, ${why}`).toBe(exp.heartbeats);
        expect(conn[`bytes_${dir}`], `${dir} bytes recorded, ${why}`).toBe(exp.bytes);
        // The raw bytes kept for the session are the wire's, byte for byte.
        const h = createHash('sha256');
        for (let off = 0; off < exp.bytes; off += 16 * MiB) {
          const piece = reader.readBytes(conn.id, dir, off, Math.min(16 * MiB, exp.bytes - off));
          expect(piece, `raw ${dir} bytes at ${off} readable, ${why}`).not.toBeNull();
          h.update(piece!);
        }
        expect(h.digest('hex'), `recorded raw ${dir} bytes, ${why}`).toBe(dir === 'client' ? atBroker.sha : brokerSha);
      }
      // No rule acted: nothing is marked.
      expect(reader.db.prepare(`SELECT count(*) FROM frame_rules`).pluck().get()).toBe(0);
    } finally {
      reader.db.close();
    }
    const total = expected.client.bytes + expected.broker.bytes;
    console.log(`[byte-exact] ${FRAMES * 2} frames, ${mib(total)} both ways: forwarded in ${forwardMs} ms, recorded and checked in ${Date.now() - t0} ms ` +
      `(session ended at ${totalMs} ms); ${summary.frames} frames, ${summary.issues} issues, ${summary.heartbeats} heart-beats stored`);
  }, SOAK ? 30 * 60_000 : 120_000);
});
