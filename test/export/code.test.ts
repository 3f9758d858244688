// Copy as code without a broker: the generated stomp.py script and stompjs module for recorded conversations
// of each STOMP version are valid programs (python3 compiles them, node parses them), say what the recording
// said (version, CONNECT or STOMP, heart-beats, headers, bodies), name ACKs by subscription and ordinal in the
// version's way, and keep credentials out unless asked. Also the contract command `export.code`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../shared/api/index.js';
import { Core } from '../../src-main/core/api.js';
import { exportCode, type CodeLanguage } from '../../src-main/core/export/code.js';
import { openDb } from '../../src-main/core/store/db.js';
import { StoreReader } from '../../src-main/core/store/reader.js';
import { PYTHON } from '../support/clients/stomppy.js';
import { frame, recordConversation, tmpDir, type Item } from '../replay/support.js';

const c = (data: string | Buffer): Item => ({ from: 'client', data });
const b = (data: string): Item => ({ from: 'broker', data });

function conversation(version: '1.0' | '1.1' | '1.2'): Item[] {
  const ack = version === '1.2' ? [['id', 'ack-7']] : version === '1.1' ? [['message-id', 'mid-7'], ['subscription', 's-1']] : [['message-id', 'mid-7']];
  return [
    c(frame(version === '1.2' ? 'STOMP' : 'CONNECT', [
      ...(version === '1.0' ? [] : [['accept-version', version], ['heart-beat', '2000,3000']] as Array<[string, string]>),
      ['host', 'vh1'], ['login', 'alice'], ['passcode', 'wonder-land'], ['client-id', 'app-1'],
    ])),
    b(frame('CONNECTED', version === '1.0' ? [['session', 'x']] : [['version', version], ['heart-beat', '0,0']])),
    c(frame('SUBSCRIBE', [['destination', '/queue/in'], ['id', 's-1'], ['ack', 'client'], ['receipt', 'r-s']])),
    b(frame('RECEIPT', [['receipt-id', 'r-s']])),
    c(frame('SEND', [['destination', '/queue/in'], ['x-api-token', 'tok-secret'], ['x-dup', 'first'], ['x-dup', 'second']], 'it\'s "quoted"\nand long')),
    c(Buffer.concat([Buffer.from('SEND\ndestination:/queue/bin\ncontent-length:4\n\n'), Buffer.from([0, 0xff, 0x27, 0x5c]), Buffer.from([0])])),
    b(frame('MESSAGE', [['subscription', 's-1'], ['message-id', 'mid-7'], ['ack', 'ack-7'], ['destination', '/queue/in']], 'm')),
    c(frame('ACK', ack as Array<[string, string]>)),
    c(frame('BEGIN', [['transaction', 't-1']])),
    c(frame('ABORT', [['transaction', 't-1']])),
    c(frame('UNSUBSCRIBE', version === '1.0' ? [['destination', '/queue/in']] : [['id', 's-1']])),
    c(frame('DISCONNECT', [['receipt', 'bye']])),
    b(frame('RECEIPT', [['receipt-id', 'bye']])),
  ];
}

describe('copy as code', () => {
  let dir = '';
  let db = '';
  const conns: Record<string, number> = {};

  beforeAll(async () => {
    dir = tmpDir('stompscope-export-code-unit-');
    db = path.join(dir, 'rec.db');
    for (const v of ['1.0', '1.1', '1.2'] as const) conns[v] = (await recordConversation(db, conversation(v), `v${v}`)).connection;
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const gen = (target: { connection: number } | { frame: number }, language: CodeLanguage, reveal = false) => {
    const reader = new StoreReader(openDb(db, { readonly: true }));
    try {
      return exportCode(reader, target, language, reveal);
    } finally {
      reader.close();
    }
  };
  const check = (file: string, text: string, language: CodeLanguage) => {
    fs.writeFileSync(file, text);
    const r = language === 'stomp.py'
      ? spawnSync(PYTHON, ['-m', 'py_compile', file], { encoding: 'utf8' })
      : spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  };

  for (const v of ['1.0', '1.1', '1.2'] as const) {
    it(`STOMP ${v}: valid Python and JavaScript that say what was recorded`, () => {
      const py = gen({ connection: conns[v] }, 'stomp.py');
      check(path.join(dir, `v${v}.py`), py.text, 'stomp.py');
      expect(py.filename).toBe(`stompscope-connection-${conns[v]}.py`);
      expect(py.frames).toBe(8);
      const t = py.text;
      expect(t).toContain(`conn = stomp.Connection${v.replace('.', '')}([(HOST, PORT)]`);
      expect(t).toContain('VHOST = "vh1"');
      if (v !== '1.0') expect(t).toContain('heartbeats=(2000, 3000)');
      expect(t).toMatch(/conn\.connect\(LOGIN, PASSCODE, wait=True, headers=\{[^}]*"client-id": "app-1"/);
      expect(t.includes('with_connect_command=True')).toBe(v === '1.1');
      expect(t).toContain('conn.subscribe(destination="/queue/in", id="s-1", ack="client", headers={"receipt": "r-s"})');
      expect(t).toContain('answers.receipt("r-s")\n# seq 4: SEND');
      // Header values with quotes and line breaks, a token as a constant, the repeated header left out (first wins).
      expect(t).toContain('conn.send(destination="/queue/in", body="it\'s \\"quoted\\"\\nand long", headers={"x-api-token": X_API_TOKEN, "x-dup": "first"})');
      expect(t).toContain('repeated headers left out, the first one wins: x-dup');
      expect(t).toContain("conn.send(destination=\"/queue/bin\", body=b'\\x00\\xff\\'\\\\', headers={\"content-length\": \"4\"})");
      const ackLine = { '1.2': 'conn.ack(m["ack"])', '1.1': 'conn.ack(m["message-id"], m["subscription"])', '1.0': 'conn.ack(m["message-id"])' }[v];
      expect(t).toContain(`m = answers.message("s-1", 1)\n${ackLine}`);
      expect(t).toContain(v === '1.0' ? 'conn.unsubscribe(destination="/queue/in")' : 'conn.unsubscribe(id="s-1")');
      expect(t).toContain('conn.disconnect(receipt="bye")');
      for (const secret of ['alice', 'wonder-land', 'tok-secret']) expect(t).not.toContain(secret);
      expect(t).toContain('PASSCODE = "********"  # the \'passcode\' header: masked in the recording, fill it in');

      const js = gen({ connection: conns[v] }, 'stompjs');
      check(path.join(dir, `v${v}.mjs`), js.text, 'stompjs');
      expect(js.filename).toBe(`stompscope-connection-${conns[v]}.mjs`);
      expect(js.text).toContain(`stompVersions: new Versions(["${v}"])`);
      expect(js.text).toContain('client.publish({ destination: "/queue/bin", binaryBody: hex("00ff275c"), headers: {} });');
      expect(js.text).toContain('client.publish({ destination: "/queue/in", body: "it\'s \\"quoted\\"\\nand long", skipContentLengthHeader: true, headers: { "x-api-token": X_API_TOKEN, "x-dup": "first" } });');
      expect(js.text).toContain(`client.ack(${v === '1.2' ? 'm.headers.ack' : "m.headers['message-id']"}, m.headers.subscription);`);
      for (const secret of ['alice', 'wonder-land', 'tok-secret']) expect(js.text).not.toContain(secret);
    });
  }

  it('with reveal, the recorded credentials are the constants', () => {
    const t = gen({ connection: conns['1.2'] }, 'stomp.py', true).text;
    expect(t).toContain('LOGIN = "alice"');
    expect(t).toContain('PASSCODE = "wonder-land"');
    expect(t).toContain('X_API_TOKEN = "tok-secret"');
    expect(t).not.toContain('fill it in');
  });

  it('one frame: the connection\'s CONNECT, that frame alone, and a disconnect', () => {
    const reader = new StoreReader(openDb(db, { readonly: true }));
    const ackId = reader.db.prepare(`SELECT id FROM frames WHERE connection_id = ? AND command = 'ACK'`).pluck().get(conns['1.2']) as number;
    reader.close();
    const py = gen({ frame: ackId }, 'stomp.py');
    check(path.join(dir, 'one.py'), py.text, 'stomp.py');
    expect(py.frames).toBe(1);
    expect(py.text).toContain('names a message of the recorded run');
    expect(py.text).toContain('conn.ack("ack-7")');
    expect(py.text).not.toContain('conn.send(');
    expect(py.text).toContain("conn.disconnect(receipt='stompscope-disconnect')");
    // Named as the list shows it: the eighth frame of its session, on the session's first connection (not by ids).
    expect(ackId).toBeGreaterThan(8);
    expect(py.text).toMatch(/^# Reproduces frame 8 \(seq 7\) of connection #1 of StompScope session \d+$/m);
    expect([py.frameNumber, py.connectionNumber]).toEqual([8, 1]);
  });

  it('a connection recorded over WebSocket: stompjs gets the recorded endpoint (no query unless revealed), stomp.py a note', async () => {
    const { connection } = await recordConversation(db, conversation('1.2'), 'ws');
    const w = openDb(db);
    w.prepare(`UPDATE connections SET transport = 'websocket', handshake = ? WHERE id = ?`).run(JSON.stringify({
      transport: 'websocket', request: { method: 'GET', target: '/ws?access_token=abc', version: 'HTTP/1.1', headers: [['Host', 'broker.example:15674']] },
      response: null, subprotocol: 'v12.stomp', offeredSubprotocols: ['v12.stomp'], extensions: null, deflate: false,
    }), connection);
    w.close();
    const js = gen({ connection }, 'stompjs');
    check(path.join(dir, 'ws.mjs'), js.text, 'stompjs');
    expect(js.text).toContain('const BROKER_URL = "ws://broker.example:15674/ws"; // the recorded WebSocket endpoint (its query left out: it may hold a token); null: TCP');
    expect(js.text).not.toContain('abc');
    expect(gen({ connection }, 'stompjs', true).text).toContain('const BROKER_URL = "ws://broker.example:15674/ws?access_token=abc";');
    const py = gen({ connection }, 'stomp.py');
    check(path.join(dir, 'ws.py'), py.text, 'stomp.py');
    expect(py.text).toContain('PORT = 61613  # recorded over WebSocket (ws://broker.example:15674/ws); stomp.py speaks plain TCP: the broker\'s STOMP port');
  });

  it('a bound on the frames of a whole connection (the clipboard), with the way out in the message', () => {
    const reader = new StoreReader(openDb(db, { readonly: true }));
    try {
      expect(() => exportCode(reader, { connection: conns['1.2'] }, 'stomp.py', false, 3)).toThrow(
        new ApiError('bad-request', `connection ${conns['1.2']} has 8 client frames, more than 3 to copy: write them to a file with \`stompscope export --format stomp.py|stompjs\``),
      );
      expect(exportCode(reader, { connection: conns['1.2'] }, 'stomp.py', false, 8).frames).toBe(8);
    } finally {
      reader.close();
    }
  });

  it('export.code through the core: validated, answered, and refused with clear errors', async () => {
    const core = Core.open(db);
    try {
      const r = await core.invoke('export.code', { connection: conns['1.1'], language: 'stompjs' });
      expect(r.text).toContain("import { Client, Versions } from '@stomp/stompjs';");
      expect(r).toMatchObject({ connection: conns['1.1'], frames: 8, filename: `stompscope-connection-${conns['1.1']}.mjs` });
      const refused = async (args: unknown, code: string, message: RegExp) => {
        let err: unknown;
        try {
          await core.invoke('export.code', args);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(ApiError);
        expect((err as ApiError).code).toBe(code);
        expect((err as ApiError).message).toMatch(message);
      };
      await refused({ language: 'stomp.py' }, 'bad-request', /give 'frame' or 'connection'/);
      await refused({ frame: 1, connection: 1, language: 'stomp.py' }, 'bad-request', /give 'frame' or 'connection'/);
      await refused({ connection: 1, language: 'ruby' }, 'bad-request', /'language' must be one of stomp\.py, stompjs/);
      await refused({ connection: 999, language: 'stomp.py' }, 'not-found', /no connection 999/);
      await refused({ frame: 2, language: 'stomp.py' }, 'bad-request', /sent by the broker/);
    } finally {
      await core.close();
    }
  });
});
