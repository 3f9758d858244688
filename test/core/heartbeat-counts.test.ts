// Heart-beat counts through the recorder (the proxy's recording path: its session summary, `connections --jsonl`,
// the stored counters, `report`) and through the capture import, from the same bytes: every broker writes an EOL
// right after each frame's NUL, and those EOLs are not heart-beats; on STOMP 1.0 there are none at all.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { computeReport } from '../../src-main/core/read/report.js';
import { Recorder } from '../../src-main/core/record/recorder.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { connectionJson } from '../../src-main/core/read/frame-json.js';
import { importBytes, tempDir } from '../capture/support/import-helper.js';
import { Conversation, pcapFile } from '../capture/support/synth.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const enc = (s: string) => Buffer.from(s, 'latin1');

type Write = ['c' | 'b', string];

/** STOMP 1.0 against stompserver: 30 MESSAGEs, each NUL + LF in one write. */
function stomp10(): Write[] {
  const w: Write[] = [['c', 'CONNECT\nlogin:guest\npasscode:guest\nhost:/\n\n\0'], ['b', 'CONNECTED\nsession:wow\n\n\0\n'],
    ['c', 'SUBSCRIBE\ndestination:/queue/a\nack:client\n\n\0']];
  for (let i = 0; i < 30; i++) w.push(['b', `MESSAGE\ndestination:/queue/a\nmessage-id:${i}\n\nbody ${i}\0\n`]);
  w.push(['c', 'ACK\nmessage-id:29\n\n\0'], ['c', 'DISCONNECT\n\n\0']);
  return w;
}

/**
 * STOMP 1.2, heart-beat 1000,1000: 8 EOLs each way on their own, among 32 MESSAGEs ending NUL + LF (40 broker EOLs
 * in all). The client writes frames with a bare NUL (as stomp.py and stompjs do), so its first EOL directly follows
 * SUBSCRIBE's NUL and, by the rule, only ends that frame: 7 client heart-beats.
 */
function stomp12(): Write[] {
  const w: Write[] = [['c', 'CONNECT\naccept-version:1.2\nhost:/\nheart-beat:1000,1000\n\n\0'], ['b', 'CONNECTED\nversion:1.2\nheart-beat:1000,1000\n\n\0\n'],
    ['c', 'SUBSCRIBE\nid:0\ndestination:/queue/a\n\n\0']];
  for (let s = 0; s < 8; s++) {
    for (let m = 0; m < 4; m++) w.push(['b', `MESSAGE\nsubscription:0\nmessage-id:${s}-${m}\ndestination:/queue/a\n\nx\0\n`]);
    w.push(['b', '\n'], ['c', '\n']);
  }
  w.push(['c', 'DISCONNECT\n\n\0']);
  return w;
}

async function viaRecorder(writes: Write[], splitNul: boolean) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-hb-'));
  dirs.push(d);
  const db = path.join(d, 'rec.db');
  const rec = await Recorder.start({ dbPath: db, kind: 'proxy', name: 'hb' });
  const key = rec.openConnection('127.0.0.1:50000', '127.0.0.1:61613');
  for (const [from, text] of writes) {
    const dir = from === 'c' ? 'client' : 'broker';
    // The NUL and the EOL after it in separate reads: the count must not change.
    if (splitNul && text.endsWith('\0\n')) {
      rec.data(key, dir, enc(text.slice(0, -1)));
      rec.data(key, dir, enc('\n'));
    } else rec.data(key, dir, enc(text));
  }
  rec.closeConnection(key, 'client closed');
  const summary = await rec.end();
  const reader = new StoreReader(openDb(db, { readonly: true }));
  const conn = connectionJson(reader.connections()[0]);
  const report = computeReport(reader.db)[0];
  return { summary, conn, report };
}

async function viaImport(writes: Write[]) {
  const d = tempDir();
  dirs.push(d);
  const c = new Conversation({ ip: '10.0.0.1', port: 50000 }, { ip: '10.0.0.2', port: 61613 }).handshake();
  for (const [from, text] of writes) c.send(from, enc(text));
  return importBytes(d, pcapFile(c.close().captured(), { linkType: 1 }));
}

describe('heart-beat counts: recorder and import agree with the expert-info rule', () => {
  it('STOMP 1.0: no heart-beats, whatever EOLs the broker writes after its frames', async () => {
    for (const split of [false, true]) {
      const r = await viaRecorder(stomp10(), split);
      expect(r.summary.heartbeats).toBe(0);
      expect(r.conn.heartbeats).toEqual({ client: 0, broker: 0 });
      expect(r.report.connections[0].heartbeats.received).toEqual({ client: 0, broker: 0 });
    }
    const imported = await viaImport(stomp10());
    expect(imported.connections[0].heartbeats).toEqual({ client: 0, broker: 0 });
  });

  it('STOMP 1.2 at 1000 ms: the broker\'s 8 heart-beats, not its 40 EOLs', async () => {
    for (const split of [false, true]) {
      const r = await viaRecorder(stomp12(), split);
      expect(r.summary.heartbeats).toBe(15);
      expect(r.conn.heartbeats).toEqual({ client: 7, broker: 8 });
      expect(r.report.connections[0].heartbeats.received).toEqual({ client: 7, broker: 8 });
    }
    const imported = await viaImport(stomp12());
    expect(imported.connections[0].heartbeats).toEqual({ client: 7, broker: 8 });
  });
});
