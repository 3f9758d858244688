// `stompscope import` as a user runs it: help, usage errors, the human summary, --json for one and for several
// files, and an imported session read back through the same read commands as a proxy session.
import { execFileSync } from 'node:child_process';
import fs, { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonl, runCli } from '../support/proxy-cli.js';
import { connectedConversation, pcapFile, pcapngFile } from './support/synth.js';
import { tempDir } from './support/import-helper.js';

const enc = (s: string) => Buffer.from(s, 'utf8');

function packets() {
  return connectedConversation()
    .send('c', enc('SEND\ndestination:/queue/x\n\nhello\0'))
    .close()
    .captured();
}

describe('stompscope import (CLI)', () => {
  let dir = '';
  let pcap = '';
  let ng = '';
  let cut = '';
  beforeAll(() => {
    dir = tempDir('stompscope-cli-import-');
    pcap = path.join(dir, 'a.pcap');
    ng = path.join(dir, 'b.pcapng');
    cut = path.join(dir, 'cut.pcap');
    fs.writeFileSync(pcap, pcapFile(packets(), { linkType: 1 }));
    fs.writeFileSync(ng, pcapngFile([{ interfaces: [{ linkType: 1 }], packets: packets() }]));
    const whole = pcapFile(packets(), { linkType: 1 });
    fs.writeFileSync(cut, whole.subarray(0, whole.length - 7));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--help describes the command; usage errors are one line and exit 2', async () => {
    const help = await runCli(['import', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: stompscope import FILE… \[--db FILE\] \[--name NAME\] \[--port N\]… \[--json\] \[--skip-existing\]/);
    const none = await runCli(['import']);
    expect([none.code, none.stderr]).toEqual([2, 'stompscope import: no capture file given (stompscope import FILE…)\n']);
    const badPort = await runCli(['import', pcap, '--port', 'x']);
    expect([badPort.code, badPort.stderr]).toEqual([2, "stompscope import: --port: 'x' is not a port number (1-65535)\n"]);
    const top = await runCli(['--help']);
    expect(top.stdout).toMatch(/\n {2}import +import pcap/);
  });

  it('prints a summary per file, with warnings, and the session reads back like a proxy session', async () => {
    const db = path.join(dir, 'human.db');
    const r = await runCli(['import', pcap, cut, '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`${pcap}: session 1: 13 packets, 1 connections, 3 frames, 3 issues (3 notes)`);
    expect(lines[1]).toMatch(new RegExp(`^${cut.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: session 2 \\(INCOMPLETE\\): 12 packets, 1 connections, 3 frames, \\d+ issues \\(.*\\), 1 warning$`));
    expect(lines[2]).toMatch(/^ {2}warning: the file ends in the middle of a record \(\d+ bytes left over\): it was cut short$/);
    expect(lines[3]).toMatch(/^2 of 2 files imported: 2 connections, 6 frames, \d+ issues$/);
    const sessions = await readJsonl<{ session: number; kind: string; state: string; connections: number; frames: number }>(['sessions', '--db', db]);
    expect(sessions.map((s) => [s.kind, s.state, s.connections, s.frames])).toEqual([['import', 'complete', 1, 3], ['import', 'interrupted', 1, 3]]);
    const frames = await readJsonl<{ command: string; from: string; body: string | null }>(['frames', '--db', db, '--session', '1']);
    expect(frames.map((f) => [f.from, f.command, f.body])).toEqual([['client', 'CONNECT', ''], ['broker', 'CONNECTED', ''], ['client', 'SEND', 'hello']]);
  });

  it('--json: one object for one file, an array for several; a file that is not a capture fails alone', async () => {
    const db = path.join(dir, 'json.db');
    const one = await runCli(['import', ng, '--db', db, '--json']);
    expect(one.code, one.stderr).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ session: 1, connections: 1, frames: 3, issues: 3, warnings: [] });
    const bogus = path.join(dir, 'notes.txt');
    fs.writeFileSync(bogus, 'not a capture');
    const several = await runCli(['import', pcap, bogus, '--db', db, '--json']);
    expect(several.code).toBe(1);
    const arr = JSON.parse(several.stdout) as Array<Record<string, unknown>>;
    expect(arr).toHaveLength(2);
    expect(arr[0]).toMatchObject({ session: 2, connections: 1, frames: 3, warnings: [] });
    expect(arr[1]).toMatchObject({ session: null, error: expect.stringMatching(/not a pcap or pcapng file/) });
    expect(several.stderr).toMatch(/^stompscope import: .*notes\.txt: not a pcap or pcapng file/);
  });

  it('a named pipe, a directory or a device is refused in one line before it is opened (no hang), the other files imported', async () => {
    const fifo = path.join(dir, 'capture.fifo');
    execFileSync('mkfifo', [fifo]);
    const db = path.join(dir, 'fifo.db');
    // Bounded: before the check, opening the pipe waited for a writer forever.
    const r = await runCli(['import', fifo, dir, '/dev/zero', pcap, '--db', db], 20_000);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')).toEqual([
      `stompscope import: ${fifo}: a named pipe (FIFO), not a regular file: only capture files can be imported`,
      `stompscope import: ${dir}: a directory, not a regular file: only capture files can be imported`,
      'stompscope import: /dev/zero: a character device, not a regular file: only capture files can be imported',
      '',
    ]);
    expect(r.stdout).toMatch(/: session 1: 13 packets, 1 connections, 3 frames/);
  });
});
