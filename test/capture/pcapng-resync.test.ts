// A corrupt pcapng block does not end the import: the reader skips a block whose content is bad by its length,
// and after a framing error scans forward to the next plausible block (known type, leading and trailing
// lengths equal: draft-ietf-opsawg-pcapng §3.1) and resumes there. What was skipped is a capture-corrupt issue
// with its place and size, the session is marked incomplete, and every later packet is imported.
import fc from 'fast-check';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectedConversation, pcapngFile, type CapturedPacket } from './support/synth.js';
import { importBytes, tempDir, type ImportedCapture } from './support/import-helper.js';

const enc = (s: string) => Buffer.from(s, 'utf8');
const N = 12;

const packets: CapturedPacket[] = (() => {
  const c = connectedConversation();
  for (let i = 0; i < N; i++) c.send('c', enc(`SEND\ndestination:/q\n\nmessage ${i}\0`));
  return c.send('b', enc('RECEIPT\nreceipt-id:1\n\n\0')).close().captured();
})();
const FILE = pcapngFile([{ interfaces: [{ linkType: 1 }], packets }]);

/** Block start offsets (the last entry is the end of the file). Blocks: SHB, IDB, then one EPB per packet. */
const BOUNDS = (() => {
  const out = [0];
  const dv = new DataView(FILE.buffer, FILE.byteOffset, FILE.byteLength);
  for (let p = 0; p < FILE.length; ) out.push((p += dv.getUint32(p + 4, true)));
  return out;
})();
const blockOfPacket = (i: number) => i + 2;
/** The packet that carries `message k`. */
const packetOf = (k: number) => packets.findIndex((p) => Buffer.from(p.data).includes(enc(`message ${k}\0`)));

const summary = (got: ImportedCapture) => got.frames.map((f) => `${f.from} ${f.command} ${f.body}`);
const corruptIssues = (got: ImportedCapture) => got.issues.filter((i) => i.code === 'capture-corrupt');

describe('pcapng: resynchronisation after a corrupt block', () => {
  let dir = '';
  let clean: ImportedCapture;
  beforeAll(async () => {
    dir = tempDir('stompscope-resync-');
    clean = await importBytes(dir, FILE, {}, 'clean.pcapng');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the clean file: every frame, complete', () => {
    expect(clean.result.complete).toBe(true);
    expect(clean.result.packets).toBe(packets.length);
    expect(summary(clean)).toEqual([
      'client CONNECT ', 'broker CONNECTED ', ...Array.from({ length: N }, (_, i) => `client SEND message ${i}`), 'broker RECEIPT ',
    ]);
  });

  const lost = packetOf(6);
  const k = blockOfPacket(lost);
  const put32 = (b: Buffer, at: number, v: number) => b.writeUInt32LE(v >>> 0, at);
  const cases: Array<[string, (b: Buffer) => Buffer, { packets: number; from: number; bytes: number; reason: RegExp }]> = [
    ['an absurd block length', (b) => (put32(b, BOUNDS[k] + 4, 0xfffffff0), b), { packets: 1, from: BOUNDS[k], bytes: BOUNDS[k + 1] - BOUNDS[k], reason: /block length 4294967280 is absurdly large/ }],
    ['a length that disagrees with the trailing copy', (b) => (put32(b, BOUNDS[k] + 4, 0x20), b), { packets: 1, from: BOUNDS[k], bytes: BOUNDS[k + 1] - BOUNDS[k], reason: /trailing length does not match/ }],
    ['a length that is not a multiple of 4', (b) => (put32(b, BOUNDS[k] + 4, 0x23), b), { packets: 1, from: BOUNDS[k], bytes: BOUNDS[k + 1] - BOUNDS[k], reason: /block length 35 is invalid/ }],
    ['7 garbage bytes between two blocks (misaligned)', (b) => Buffer.concat([b.subarray(0, BOUNDS[k]), Buffer.from('garbage'), b.subarray(BOUNDS[k])]), { packets: 0, from: BOUNDS[k], bytes: 7, reason: /block length \d+ is (invalid|absurdly large)/ }],
    ['5 bytes missing from the middle of a block (misaligned)', (b) => Buffer.concat([b.subarray(0, BOUNDS[k] + 40), b.subarray(BOUNDS[k] + 45)]), { packets: 1, from: BOUNDS[k], bytes: BOUNDS[k + 1] - BOUNDS[k] - 5, reason: /trailing length does not match/ }],
    ['a block length pointing past the end of the file', (b) => (put32(b, BOUNDS[k] + 4, (FILE.length * 2) & ~3), b), { packets: 1, from: BOUNDS[k], bytes: BOUNDS[k + 1] - BOUNDS[k], reason: /runs past the end of the file/ }],
    ['a captured length longer than its block (framing sound)', (b) => (put32(b, BOUNDS[k] + 20, 0x7fffffff), b), { packets: 1, from: BOUNDS[k], bytes: BOUNDS[k + 1] - BOUNDS[k], reason: /captured length 2147483647 is longer than the block; the block \(\d+ bytes\) was skipped/ }],
    ['a packet of an interface never described (framing sound)', (b) => (put32(b, BOUNDS[k] + 8, 9), b), { packets: 1, from: BOUNDS[k], bytes: BOUNDS[k + 1] - BOUNDS[k], reason: /interface 9, which was never described/ }],
  ];

  for (const [name, damage, want] of cases) {
    for (const readBytes of [undefined, 24]) {
      it(`${name}${readBytes ? `, read ${readBytes} bytes at a time` : ''}: skipped and reported, every later packet imported`, async () => {
        const got = await importBytes(dir, damage(Buffer.from(FILE)), readBytes ? { readBytes } : {}, 'damaged.pcapng');
        expect(got.result.packets).toBe(packets.length - want.packets);
        // Incomplete (part of the file could not be read), not stopped: the frames after the damage are there.
        expect(got.result.complete).toBe(false);
        expect(got.session).toMatchObject({ state: 'interrupted', meta: { completed: false, corrupt: { regions: 1, bytes: want.bytes } } });
        expect(got.result.warnings).toEqual([expect.stringMatching(/1 damaged region\(s\) .* skipped, reading resumed/)]);
        const issues = corruptIssues(got);
        expect(issues).toHaveLength(1);
        expect(issues[0].message).toMatch(new RegExp(`^bytes ${want.from}–${want.from + want.bytes - 1} of the file: `));
        expect(issues[0].message).toMatch(want.reason);
        const expected = summary(clean).filter((s) => want.packets === 0 || s !== 'client SEND message 6');
        expect(summary(got)).toEqual(expected);
        if (want.packets) {
          // The lost segment is a TCP gap in the stream; the decoder resynchronised at the next frame.
          expect(got.issues.filter((i) => i.code === 'tcp-segments-missing').map((i) => i.message)).toEqual([
            `${packets[lost].data.length - 54} bytes of TCP segments are not in the capture`,
          ]);
        }
      });
    }
  }

  // Found by the fuzz test below: near the end of the file a damaged length can point past the end while whole
  // blocks still follow; bytes inside the damaged block that look like the start of a longer block must not
  // make the reader take the file for cut short.
  it('a zeroed block type and a length past the end, in the block of the last frame: skipped, the rest imported', async () => {
    const bi = blockOfPacket(packets.findIndex((p) => Buffer.from(p.data).includes(enc('RECEIPT'))));
    const at = BOUNDS[bi];
    const b = Buffer.from(FILE);
    b.fill(0, at, at + 5);
    b[at + 5] = 3;
    const got = await importBytes(dir, b, {}, 'zeroed.pcapng');
    expect(got.result.packets).toBe(packets.length - 1);
    const issues = corruptIssues(got);
    expect(issues).toHaveLength(1);
    expect(issues[0].message).toMatch(new RegExp(`^bytes ${at}–${BOUNDS[bi + 1] - 1} of the file: .*runs past the end of the file`));
    // Only the RECEIPT that block carried is lost; the blocks after it (the close) are read.
    expect(summary(got)).toEqual(summary(clean).filter((f) => f !== 'broker RECEIPT '));
  });

  it('a file cut inside its last block is still "cut short", not corrupt', async () => {
    const got = await importBytes(dir, FILE.subarray(0, BOUNDS.at(-1)! - 10), {}, 'cut.pcapng');
    expect(got.result.complete).toBe(false);
    expect(corruptIssues(got)).toEqual([]);
    expect(got.result.warnings).toEqual([expect.stringMatching(/cut short/)]);
    expect(got.result.packets).toBe(packets.length - 1);
  });

  it('garbage at the very end of the file: reported as corrupt up to the end', async () => {
    const noise = Buffer.from('\x01\x02\x03 not a block at all, just noise');
    const got = await importBytes(dir, Buffer.concat([FILE, noise]), {}, 'tail.pcapng');
    expect(got.result.packets).toBe(packets.length);
    expect(corruptIssues(got).map((i) => i.message)).toEqual([expect.stringMatching(new RegExp(`^bytes ${FILE.length}–${FILE.length + noise.length - 1} of the file`))]);
    expect(summary(got)).toEqual(summary(clean));
  });

  it('fuzzed: random garbage inserted between blocks loses no packet, whatever the read size', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Not at the end of the file: a few bytes there read as a block header cut short, which is what they look like.
        fc.uniqueArray(fc.integer({ min: 1, max: BOUNDS.length - 2 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 3, maxLength: 3 }),
        fc.constantFrom(undefined, 7, 64, 1000),
        async (at, garbage, readBytes) => {
          const cuts = [...at].sort((a, b) => a - b);
          const parts: Uint8Array[] = [];
          let prev = 0;
          cuts.forEach((bi, i) => {
            parts.push(FILE.subarray(prev, BOUNDS[bi]), garbage[i]);
            prev = BOUNDS[bi];
          });
          parts.push(FILE.subarray(prev));
          const got = await importBytes(dir, Buffer.concat(parts), readBytes ? { readBytes } : {}, 'fuzz-insert.pcapng');
          expect(got.result.packets).toBe(packets.length);
          expect(summary(got)).toEqual(summary(clean));
          expect(got.session!.meta).toMatchObject({ completed: false, corrupt: { regions: cuts.length, bytes: cuts.reduce((n, _, i) => n + garbage[i].length, 0) } });
        },
      ),
      { numRuns: 60 },
    );
  });

  // Noise over the block's own fields (type, lengths, interface, timestamp, captured and original lengths, the
  // trailing length), not over the packet it carries: damage to a TCP header (a FIN or RST flag, a sequence
  // number) is a matter for reassembly, which believes the packet.
  it('fuzzed: random bytes over the fields of one packet block lose at most that packet; the rest is imported', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: BOUNDS.length - 2 }),
        fc.nat(),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.constantFrom(undefined, 13, 256),
        async (bi, offset, noise, readBytes) => {
          const b = Buffer.from(FILE);
          const size = BOUNDS[bi + 1] - BOUNDS[bi];
          const fields = [...Array.from({ length: 28 }, (_, i) => i), size - 4, size - 3, size - 2, size - 1];
          for (const [i, v] of noise.entries()) {
            const at = fields[(offset + i) % fields.length];
            b[BOUNDS[bi] + at] = v;
          }
          const started = Date.now();
          const got = await importBytes(dir, b, readBytes ? { readBytes } : {}, 'fuzz-overwrite.pcapng');
          // A guard against a hang, not a speed target: generous, so that a loaded machine does not trip it.
          expect(Date.now() - started).toBeLessThan(30_000);
          expect(got.result.packets).toBeGreaterThanOrEqual(packets.length - 1);
          // Every frame carried by another packet is there, in order.
          const mine = packets[bi - 2];
          const others = summary(clean).filter((s) => !s.startsWith('client SEND ') || !Buffer.from(mine.data).includes(enc(s.slice('client SEND '.length) + '\0')));
          // (Noise over a TCP header can also garble a neighbouring frame: a lost NUL joins two frames.) Order is
          // checked per direction: noise over a timestamp may move a packet between the two directions.
          const got2 = summary(got);
          const kept = others.filter((s) => got2.includes(s));
          expect(kept.length, `${JSON.stringify(got2)} vs ${JSON.stringify(others)}`).toBeGreaterThanOrEqual(others.length - 2);
          for (const dir of ['client', 'broker']) {
            const mineDir = (l: string[]) => l.filter((s) => s.startsWith(dir) && kept.includes(s));
            expect(mineDir(got2)).toEqual(mineDir(others));
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
