// Files are written only where the user chose: an import reads the capture and writes nothing beside it (the
// session goes to the database the user named); an export writes the one file given with --out and nothing
// else in its directory (no temporary file left behind, no directory created). (The web host's uploads: web-host.test.ts;
// the desktop app's save dialog: test/electron/host.test.ts.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src-main/core/api.js';
import { once } from '../support/once.js';
import { IMPORTED_CONVERSATION, stompPcap } from '../support/pcap-build.js';
import { runCli } from '../support/proxy-cli.js';

/** Names, sizes and modification times of everything under `dir`. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    const st = fs.statSync(p);
    out.push(`${path.relative(dir, p)} ${st.size} ${st.mtimeMs}`);
  }
  return out.sort();
}

describe('paths', () => {
  let dir = '';
  let captures = '';
  let dbDir = '';

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-sec-paths-'));
    captures = path.join(dir, 'captures');
    dbDir = path.join(dir, 'db');
    fs.mkdirSync(captures);
    fs.mkdirSync(dbDir);
    fs.writeFileSync(path.join(captures, 'orders.pcap'), stompPcap(IMPORTED_CONVERSATION));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // The CLI import is done once: its own test checks it, and the export test exports the session it recorded, so
  // that one can run alone.
  const imported = once(async () => {
    const before = snapshot(captures);
    const r = await runCli(['import', path.join(captures, 'orders.pcap'), '--db', path.join(dbDir, 'i.db')]);
    return { before, r, after: snapshot(captures) };
  });

  it('`stompscope import` leaves the capture and its directory exactly as they were', async () => {
    const { before, r, after } = await imported();
    expect(r.code, r.stderr).toBe(0);
    expect(after).toEqual(before);
    expect(fs.readdirSync(dbDir).some((f) => f.startsWith('i.db'))).toBe(true);
  });

  it('an import through the core (the UI) does the same', async () => {
    const before = snapshot(captures);
    const core = Core.open(path.join(dbDir, 'core.db'));
    try {
      const done = new Promise<{ session: number | null; complete: boolean }>((resolve) => core.onEvent((e, d) => e === 'import.done' && resolve(d as never)));
      const upload = core.registerUpload(path.join(captures, 'orders.pcap'), 'orders.pcap', false);
      core.invoke('import.start', { upload });
      expect(await done).toMatchObject({ complete: true, session: expect.any(Number) });
      // The file was the user's (not an upload of ours): it is still there, untouched.
      expect(snapshot(captures)).toEqual(before);
      expect(() => core.invoke('import.start', { upload: '../captures/orders.pcap' })).toThrow(/not-found|no such upload|upload/i);
    } finally {
      await core.close();
    }
  });

  it('`stompscope export` writes the one file named by --out, and nothing else', async () => {
    expect((await imported()).r.code).toBe(0);
    const db = path.join(dbDir, 'i.db');
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    // A name with ".." means the file it resolves to (as a shell would), and only that file is written.
    const ok = await runCli(['export', '--db', db, '--session', '1', '--format', 'jsonl', '--out', `${out}/sub/../frames.jsonl`]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(fs.readdirSync(out)).toEqual(['frames.jsonl']);
    // An output directory that does not exist is not created.
    expect((await runCli(['export', '--db', db, '--session', '1', '--format', 'jsonl', '--out', path.join(out, 'new', 'x.jsonl')])).code).toBe(2);
    // A directory, or an existing file without --force, is refused and left alone.
    const again = await runCli(['export', '--db', db, '--session', '1', '--format', 'pcapng', '--out', path.join(out, 'frames.jsonl')]);
    expect(again.code).toBe(2);
    expect((await runCli(['export', '--db', db, '--session', '1', '--format', 'jsonl', '--out', out])).code).toBe(2);
    expect(fs.readdirSync(out)).toEqual(['frames.jsonl']);
    expect(fs.readFileSync(path.join(out, 'frames.jsonl'), 'utf8')).toMatch(/"command":"SEND"/);
  });
});
