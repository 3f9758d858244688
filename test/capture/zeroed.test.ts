// A capture whose valid start is followed by zeros (a preallocated or sparse file, a bad copy): classic pcap
// would read them as empty 16-byte records, hundreds of millions of them. A run of empty records is corruption:
// reported once as capture-corrupt, reading stops there, what came before is kept; pcapng skips the zeros.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonl, runCli } from '../support/proxy-cli.js';
import { connectedConversation, pcapFile, pcapngFile } from './support/synth.js';
import { importFile, tempDir } from './support/import-helper.js';

const enc = (s: string) => Buffer.from(s, 'utf8');

function sample() {
  return connectedConversation()
    .send('c', enc('SEND\ndestination:/queue/before-the-zeros\n\nkept\0'))
    .captured();
}

const EXPECTED = [['client', 'CONNECT', ''], ['broker', 'CONNECTED', ''], ['client', 'SEND', 'kept']];

/** `bytes` then zeros up to `size` (a sparse file where the file system supports it: no disk used). */
function withZeros(file: string, bytes: Uint8Array, size: number): void {
  fs.writeFileSync(file, bytes);
  fs.truncateSync(file, size);
}

describe('a capture followed by zeros', () => {
  let dir = '';
  beforeAll(() => {
    dir = tempDir('stompscope-zeros-');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('CLI, classic pcap + 2 GiB of zeros (sparse): one capture-corrupt, reading stops, the frames before are kept', async () => {
    const file = path.join(dir, 'zeros.pcap');
    const valid = pcapFile(sample(), { linkType: 1 });
    withZeros(file, valid, 2 * 1024 ** 3);
    const db = path.join(dir, 'zeros.db');
    // Bounded: before, this read 134 million empty records (minutes).
    const r = await runCli(['import', file, '--db', db, '--json'], 90_000);
    expect(r.signal).toBeNull();
    expect([r.code, r.stderr]).toEqual([0, '']);
    const out = JSON.parse(r.stdout) as { session: number; complete: boolean; packets: number; warnings: string[] };
    expect(out).toMatchObject({ complete: false, packets: sample().length });
    expect(out.warnings).toEqual([
      `the file is corrupt: corrupt records from byte ${valid.length} on (after packet ${sample().length}): 16 records in a row have zero captured and zero original length: zeroed or overwritten data, not packets`,
    ]);
    const frames = await readJsonl<{ from: string; command: string; body: string | null }>(['frames', '--db', db, '--session', String(out.session)]);
    expect(frames.map((f) => [f.from, f.command, f.body])).toEqual(EXPECTED);
  }, 120_000);

  for (const [name, nano, bigEndian] of [['µs, pcap-parser', false, false], ['ns, big-endian', true, true]] as const) {
    it(`classic pcap (${name}): empty records alone are skipped, a run of them stops the import as corrupt`, async () => {
      const o = { linkType: 1, nano, bigEndian };
      const packets = sample();
      // One lone empty record among the packets (skipped, not a packet), then 64 MiB of zeros.
      const empty = new Uint8Array(16);
      const valid = Buffer.concat([pcapFile(packets.slice(0, 3), o), empty, pcapFile(packets.slice(3), o).subarray(24)]);
      const file = path.join(dir, `zeros-${nano ? 'ns' : 'us'}.pcap`);
      withZeros(file, valid, valid.length + 64 * 1024 * 1024);
      const got = await importFile(dir, file);
      expect(got.result.packets).toBe(packets.length);
      expect(got.result.complete).toBe(false);
      expect(got.session?.state).toBe('interrupted');
      expect(got.issues.filter((i) => i.code === 'capture-corrupt').map((i) => i.message)).toEqual([
        `the file is corrupt: corrupt records from byte ${valid.length} on (after packet ${packets.length}): 16 records in a row have zero captured and zero original length: zeroed or overwritten data, not packets`,
      ]);
      expect(got.frames.map((f) => [f.from, f.command, f.body])).toEqual(EXPECTED);
    });
  }

  it('pcapng + 256 MiB of zeros: skipped as one corrupt region, the packets before are kept', async () => {
    const valid = pcapngFile([{ interfaces: [{ linkType: 1 }], packets: sample() }]);
    const file = path.join(dir, 'zeros.pcapng');
    const zeros = 256 * 1024 * 1024;
    withZeros(file, valid, valid.length + zeros);
    const got = await importFile(dir, file);
    expect(got.result.packets).toBe(sample().length);
    expect(got.session?.meta.corrupt).toMatchObject({ regions: 1, bytes: zeros });
    expect(got.frames.map((f) => [f.from, f.command, f.body])).toEqual(EXPECTED);
  });
});
