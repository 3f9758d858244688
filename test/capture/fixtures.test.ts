// Import of the committed real captures in test/capture/fixtures/ (made by make-fixtures.ts beside them: tcpdump
// pcap and dumpcap pcapng of stomp.py 1.2 and stompjs 1.1 talking to RabbitMQ at the same time). No broker and
// no capture tool needed: this runs everywhere, and it pins the reading of files written by the real tools.
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoToMicros } from '../support/checks.js';
import type { LogRecord } from '../support/clients/stompjs-scenario.js';
import { once } from '../support/once.js';
import type { FixtureManifest } from './fixtures/make-fixtures.js';
import { expectImportMatchesLogs, type LoggedClient } from './support/expect-import.js';
import { importFile, tempDir, type ImportedCapture } from './support/import-helper.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const manifest = JSON.parse(readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8')) as FixtureManifest;
const clients: LoggedClient[] = manifest.clients.map((c) => ({
  name: `${c.name} ${c.version}`,
  localPort: c.localPort,
  records: readFileSync(path.join(FIXTURES, c.log), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as LogRecord),
}));

describe('committed captures of real traffic (test/capture/fixtures)', () => {
  let dir = '';
  // Each file is imported once, by whichever test needs it first: the per-file test and the pcap/pcapng
  // comparison each await the imports they read, so either runs alone.
  const imports = new Map(manifest.captures.map((c) => [c.file, once(() => importFile(dir, path.join(FIXTURES, c.file)))]));
  beforeAll(() => {
    dir = tempDir('stompscope-fixtures-');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the fixture set is whole: small files, the ones the manifest names, both clients ran cleanly', () => {
    expect(manifest.captures.map((c) => c.format).sort()).toEqual(['pcap', 'pcapng']);
    for (const c of manifest.captures) {
      const file = path.join(FIXTURES, c.file);
      expect(statSync(file).size, c.file).toBe(c.size);
      expect(c.size, c.file).toBeLessThan(100 * 1024);
      expect(createHash('sha256').update(readFileSync(file)).digest('hex'), `${c.file} is the one the logs go with`).toBe(c.sha256);
    }
    for (const c of clients) {
      const done = c.records.at(-1)!;
      expect(done.event === 'done' && done.ok && done.errors.length === 0, `${c.name} ran cleanly`).toBe(true);
      expect(c.records.filter((r) => r.event === 'frame').length, c.name).toBeGreaterThan(10);
    }
  });

  for (const c of manifest.captures) {
    it(`${c.file} (${c.tool}, ${c.format}): every connection holds exactly what its client logged`, async () => {
      const got = await imports.get(c.file)!();
      expect(got.result.format).toBe(c.format);
      expect(got.session?.meta).toMatchObject({ format: c.format, linkTypes: [expect.stringContaining(c.linkType)], completed: true });
      expectImportMatchesLogs(got, clients, `${manifest.broker.host}:${manifest.broker.port}`);
      // The conversations covered what they claim to: versions, the binary body, escaping, a transaction.
      const frames = got.frames;
      expect(new Set(got.connections.map((x) => x.version))).toEqual(new Set(['1.1', '1.2']));
      expect(frames.some((f) => f.command === 'SEND' && f.body === null && f.headers.some(([k]) => k === 'content-length'))).toBe(true);
      expect(frames.some((f) => f.headers.some(([, v]) => v === 'line1\nline2'))).toBe(true);
      expect(frames.filter((f) => f.command === 'BEGIN' || f.command === 'COMMIT').length).toBe(4);
    });
  }

  it('pcap and pcapng of the same traffic import to the same frames', async () => {
    const [a, b] = await Promise.all(manifest.captures.map((c) => imports.get(c.file)!()));
    expect(a && b, 'both imported').toBeTruthy();
    // Times may differ by a microsecond: tcpdump and dumpcap round the kernel's nanosecond stamps differently.
    const strip = (x: ImportedCapture) => x.frames.map(({ connection: _c, time: _t, ...f }) => f);
    expect(strip(b!)).toEqual(strip(a!));
    for (const [i, f] of a!.frames.entries()) expect(Math.abs(isoToMicros(f.time) - isoToMicros(b!.frames[i].time))).toBeLessThanOrEqual(1);
  });
});
