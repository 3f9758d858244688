// Hostile and broken capture files: not captures at all, truncated at every record / block boundary and in the
// middle of records, absurd declared lengths, random corruption (fast-check). The importer must never throw
// anything but a clear CaptureError, never hang, never hold more than a bounded amount of memory, and mark a
// partial session incomplete. (Resynchronisation after a corrupt pcapng block: pcapng-resync.test.ts.)
import fc from 'fast-check';
import fs, { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureError, importCapture, type ImportResult } from '../../src-main/core/capture/import-job.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreWriter } from '../../src-main/core/store/writer.js';
import { connectedConversation, pcapFile, pcapngFile } from './support/synth.js';
import { importBytes, tempDir } from './support/import-helper.js';

const enc = (s: string) => Buffer.from(s, 'utf8');

function sample() {
  return connectedConversation()
    .send('c', Buffer.concat([enc('SEND\ndestination:/q\ncontent-length:3000\n\n'), Buffer.alloc(3000, 7), enc('\0')]))
    .send('b', enc('RECEIPT\nreceipt-id:1\n\n\0'))
    .close()
    .captured();
}

const PCAP = pcapFile(sample(), { linkType: 1 });
const PCAP_NS = pcapFile(sample(), { linkType: 1, nano: true, bigEndian: true });
const PCAPNG = pcapngFile([
  { interfaces: [{ linkType: 1 }], packets: sample().slice(0, 8), junkBlocks: true },
  { interfaces: [{ linkType: 1, tsresol: 9 }], packets: sample().slice(8), bigEndian: true },
]);

/** Record starts in a classic pcap file (after the 24-byte header): every place a cut leaves whole records. */
function pcapBoundaries(file: Uint8Array, le: boolean): number[] {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out = [24];
  for (let p = 24; p + 16 <= file.length; ) {
    p += 16 + dv.getUint32(p + 8, le);
    out.push(p);
  }
  return out;
}

function pcapngBoundaries(file: Uint8Array): number[] {
  const out = [0];
  let le = true;
  for (let p = 0; p + 12 <= file.length; ) {
    const dv = new DataView(file.buffer, file.byteOffset + p);
    if (dv.getUint32(0, true) === 0x0a0d0d0a) le = dv.getUint32(8, true) === 0x1a2b3c4d;
    p += dv.getUint32(4, le);
    out.push(p);
  }
  return out;
}

describe('hostile capture files', () => {
  let dir = '';
  let writer: StoreWriter;
  beforeAll(() => {
    dir = tempDir('stompscope-hostile-');
    writer = new StoreWriter(openDb(path.join(dir, 'shared.db')));
  });
  afterAll(() => {
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** In-process import into one shared database, bounded in time. */
  async function attempt(bytes: Uint8Array, name: string): Promise<ImportResult | CaptureError> {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    const started = Date.now();
    try {
      return await importCapture(writer, file);
    } catch (e) {
      if (e instanceof CaptureError) return e;
      throw e;
    } finally {
      expect(Date.now() - started, 'import time').toBeLessThan(5000);
    }
  }

  function stateOf(session: number) {
    const s = writer.db.prepare('SELECT state, meta FROM sessions WHERE id = ?').get(session) as { state: string; meta: string };
    return { state: s.state, meta: JSON.parse(s.meta) as { completed: boolean; error?: string } };
  }

  it('files that are not captures: a clear message and no session', async () => {
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(0), /empty/],
      [enc('hi'), /too short/],
      [enc('CONNECT\nhost:/\n\n\0'), /not a pcap or pcapng file \(it starts with 43 4f 4e 4e\)/],
      [Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]), /gzip/],
      [enc('SQLite format 3\0'), /SQLite/],
      [Buffer.from([0x34, 0xcd, 0xb2, 0xa1, 0, 0, 0, 0]), /modified/],
      [PCAP.subarray(0, 20), /cut short/], // a pcap header that stops early: nothing to import
    ];
    const before = writer.db.prepare('SELECT count(*) FROM sessions').pluck().get();
    for (const [bytes, msg] of cases) {
      const r = await attempt(bytes, 'not-a-capture');
      if (r instanceof CaptureError) expect(r.message).toMatch(msg);
      else expect(r.error).toMatch(msg);
    }
    expect(writer.db.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(before);
  });

  it('the CLI says so in one line and exits 1, without a stack trace', async () => {
    const { runCli } = await import('../support/proxy-cli.js');
    const file = path.join(dir, 'text.pcap');
    fs.writeFileSync(file, 'hello world');
    const r = await runCli(['import', file, '--db', path.join(dir, 'cli.db')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`stompscope import: ${file}: not a pcap or pcapng file (it starts with 68 65 6c 6c)`);
  });

  for (const [name, file, boundaries] of [
    ['pcap µs', PCAP, pcapBoundaries(PCAP, true)],
    ['pcap ns (big-endian)', PCAP_NS, pcapBoundaries(PCAP_NS, false)],
    ['pcapng (two sections)', PCAPNG, pcapngBoundaries(PCAPNG)],
  ] as const) {
    it(`${name}: truncated at every record boundary and inside every record`, async () => {
      expect(boundaries.at(-1)).toBe(file.length);
      const cuts = new Set<number>();
      for (let i = 0; i < boundaries.length; i++) {
        cuts.add(boundaries[i]);
        if (i + 1 < boundaries.length) {
          cuts.add(boundaries[i] + 1);
          cuts.add(boundaries[i] + 9);
          cuts.add(Math.floor((boundaries[i] + boundaries[i + 1]) / 2));
          cuts.add(boundaries[i + 1] - 1);
        }
      }
      const seen = { complete: 0, incomplete: 0 };
      for (const cut of [...cuts].sort((a, b) => a - b)) {
        const r = await attempt(file.subarray(0, cut), `cut-${cut}`);
        if (r instanceof CaptureError) continue; // too short to be recognised
        const atBoundary = boundaries.includes(cut);
        if (r.session === null) {
          // Nothing could be read at all.
          expect(r.error, `cut at ${cut}`).toBeDefined();
          continue;
        }
        const s = stateOf(r.session);
        if (atBoundary && !(name.startsWith('pcapng') && cut === 0)) {
          expect([s.state, r.complete], `cut at boundary ${cut}`).toEqual(['complete', true]);
          seen.complete++;
        } else {
          seen.incomplete++;
          expect([s.state, s.meta.completed, r.complete], `cut inside a record at ${cut}`).toEqual(['interrupted', false, false]);
          expect(s.meta.error).toMatch(/cut short/);
          expect(r.warnings.at(-1)).toMatch(/cut short/);
        }
      }
      // Not vacuous: most cuts made a session to check.
      expect(seen.complete).toBeGreaterThan(boundaries.length - 4);
      expect(seen.incomplete).toBeGreaterThan(3 * (boundaries.length - 4));
    });
  }

  it('absurd declared lengths: a pcap stops at once as corrupt; a pcapng skips the block and reads on (both incomplete)', async () => {
    // A pcap record claiming 4 GiB.
    const bounds = pcapBoundaries(PCAP, true);
    const bad = Buffer.from(PCAP);
    bad.writeUInt32LE(0xfffffff0, bounds[5] + 8);
    const r1 = (await attempt(bad, 'huge.pcap')) as ImportResult;
    expect(r1.packets).toBe(5);
    expect(stateOf(r1.session!)).toMatchObject({ state: 'interrupted', meta: { completed: false, error: expect.stringMatching(/corrupt.*captured length 4294967280/) } });

    // A pcapng block claiming 4 GiB, then one whose trailing length disagrees, then an EPB longer than its block.
    const nb = pcapngBoundaries(PCAPNG);
    for (const [at, value, msg] of [
      [nb[6] + 4, 0xfffffff0, /absurdly large/],
      [nb[6] + 4, 0x20, /trailing length/],
      [nb[6] + 20, 0x7fffffff, /longer than the block/],
    ] as const) {
      const b = Buffer.from(PCAPNG);
      b.writeUInt32LE(value, at);
      const r = (await attempt(b, 'huge.pcapng')) as ImportResult;
      expect(r.complete).toBe(false);
      expect(stateOf(r.session!).meta.error).toMatch(msg);
      // Only the damaged block's packet is lost (pcapng-resync.test.ts has the details).
      expect(r.packets).toBe(sample().length - 1);
    }
  });

  it('fuzzed corruption: never a crash or hang; the session is complete or marked incomplete', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(PCAP, PCAP_NS, PCAPNG),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 8 })), { minLength: 1, maxLength: 12 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (base, edits, cutAt) => {
          const b = Buffer.from(base);
          for (const [pos, value, len] of edits) b.fill(value, pos % b.length, Math.min(b.length, (pos % b.length) + len));
          const bytes = cutAt === undefined ? b : b.subarray(0, cutAt % b.length);
          const r = await attempt(bytes, 'fuzz');
          if (r instanceof CaptureError || r.session === null) return;
          const s = stateOf(r.session);
          expect(s.state).toBe(r.complete ? 'complete' : 'interrupted');
          expect(s.meta.completed).toBe(r.complete);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('an abort (Ctrl-C) stops at the next read and leaves the session marked interrupted', async () => {
    const ac = new AbortController();
    let calls = 0;
    const big = pcapFile([...Array(200)].flatMap((_, i) => sample().map((p) => ({ ...p, time: p.time + i * 1e6 }))), { linkType: 1 });
    const file = path.join(dir, 'abort.pcap');
    fs.writeFileSync(file, big);
    const r = await importCapture(writer, file, { readBytes: 64 * 1024, signal: ac.signal, onProgress: () => ++calls === 3 && ac.abort() });
    expect(r.complete).toBe(false);
    expect(stateOf(r.session!)).toMatchObject({ state: 'interrupted', meta: { completed: false, error: 'the import was interrupted' } });
  });

  it('big records straddle reads: a file read 100 bytes at a time imports the same', async () => {
    const a = await importBytes(dir, PCAPNG, {}, 'whole.pcapng');
    const b = await importBytes(dir, PCAPNG, { readBytes: 100 }, 'small-reads.pcapng');
    expect(b.frames).toEqual(a.frames);
    expect(a.frames.map((f) => f.command)).toEqual(['CONNECT', 'CONNECTED', 'SEND', 'RECEIPT']);
  });
});
