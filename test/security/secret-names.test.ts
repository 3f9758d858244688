// Which header names are credentials (shared/stomp/secrets.ts), checked end to end: a capture of STOMP over
// WebSocket whose upgrade carries tokens (query, Authorization, Cookie, X-Api-Key, a token offered as a
// subprotocol) and whose frames carry every credential name, imported with the real CLI, then read back through
// `connections --jsonl`, `frames --jsonl`, the stomp.py and stompjs exports, and the core's Expert Info. None of
// them may show a credential value unless --reveal-secrets; STOMP's own identifiers (session, message-id,
// subscription, receipt…) stay visible. A mistyped credential line (`passcode=…`) must not come back through an
// issue message either: issue messages have no masked form.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSecretHeader, MASK } from '../../shared/stomp/secrets.js';
import { encodeFrame, OPCODE } from '../../shared/websocket/websocket.js';
import { Core } from '../../src-main/core/api.js';
import { stompPcap } from '../support/pcap-build.js';
import { runCli } from '../support/proxy-cli.js';
import { seedSession } from '../support/seed.js';

/** Credential header names, each with a value found nowhere else in the capture. */
const SECRET_HEADERS: Array<[string, string]> = [
  'login', 'passcode', 'password', 'x-password', 'passwd', 'passphrase', 'api-key', 'x-api-key', 'X-API-Key', 'apikey', 'x-apikey',
  'api_key', 'apiKey', 'auth-token', 'x-auth-token', 'access_token', 'refresh-token', 'token', 'client-secret', 'secret',
  'authorization', 'proxy-authorization', 'x-authorization', 'auth', 'x-auth', 'cookie', 'set-cookie', 'jsessionid', 'x-session-id',
  'session_id', 'sessionId', 'x-jwt', 'credentials', 'x-amz-signature', 'private-key', 'access-key',
].map((name, i) => [name, `cv${String(i).padStart(2, '0')}Q7`]);

/** Not credentials: the ordinary STOMP headers and lookalikes that route rather than authenticate. */
const PLAIN_HEADERS: Array<[string, string]> = [
  ['destination', '/queue/names'], ['receipt', 'rcpt-visible'], ['content-type', 'text/plain'], ['routing-key', 'rk-visible'],
  ['correlation-id', 'corr-visible'], ['x-message-key', 'mk-visible'], ['persistent', 'true'], ['host', '/'],
];
const BROKER_PLAIN: Array<[string, string]> = [
  ['session', 'sess-visible'], ['server', 'RabbitMQ/3.12'], ['message-id', 'mid-visible'], ['subscription', 'sub-visible'], ['ack', 'ack-visible'],
];

/** Credentials of the WebSocket upgrade: its query, its headers, a token offered as a subprotocol. */
const HANDSHAKE_SECRETS = ['hq1-accesstoken', 'hq2-xapikey', 'hq3-apikey', 'hh1-bearer', 'hh2-cookie', 'hh3-xapikey', 'hh4-proxyauth', 'hh5-setcookie', 'hp1-subprotocoltoken'];
const MISTYPED = 'Hunter2Secret';

const enc = (s: string) => new TextEncoder().encode(s);
const frame = (command: string, headers: Array<[string, string]>, body = '') => `${command}\n${headers.map(([k, v]) => `${k}:${v}\n`).join('')}\n${body}\0`;
const fromClient = (stomp: string) => encodeFrame(OPCODE.text, enc(stomp), { mask: new Uint8Array([0x21, 0x43, 0x65, 0x07]) });
const fromBroker = (stomp: string) => encodeFrame(OPCODE.text, enc(stomp));

function capture(): Buffer {
  const request = 'GET /ws?access_token=hq1-accesstoken&x-api-key=hq2-xapikey&apikey=hq3-apikey&room=lobby HTTP/1.1\r\n' +
    'Host: broker.example:15674\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
    'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v12.stomp, base64url.bearer.authorization.k8s.io.hp1-subprotocoltoken\r\n' +
    'Authorization: Bearer hh1-bearer\r\nCookie: JSESSIONID=hh2-cookie\r\nX-Api-Key: hh3-xapikey\r\nProxy-Authorization: Basic hh4-proxyauth\r\n\r\n';
  const response = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: v12.stomp\r\nSet-Cookie: route=hh5-setcookie\r\n\r\n';
  // The CONNECT's passcode line typed with '=' for ':': not a header, reported as malformed-header.
  const connect = `CONNECT\naccept-version:1.2\nhost:/\npasscode=${MISTYPED}\n\n\0`;
  return stompPcap([
    { from: 'client', data: request },
    { from: 'broker', data: response },
    { from: 'client', data: fromClient(connect) },
    { from: 'broker', data: fromBroker(frame('CONNECTED', [['version', '1.2'], ['heart-beat', '0,0'], ['session', 'sess-visible'], ['server', 'RabbitMQ/3.12']])) },
    { from: 'client', data: fromClient(frame('SUBSCRIBE', [['destination', '/queue/names'], ['id', 'sub-visible'], ['ack', 'auto']])) },
    { from: 'client', data: fromClient(frame('SEND', [...PLAIN_HEADERS, ...SECRET_HEADERS], 'hello')) },
    { from: 'broker', data: fromBroker(frame('RECEIPT', [['receipt-id', 'rcpt-visible']])) },
    // The broker copies the SEND's headers into the MESSAGE, as RabbitMQ does.
    { from: 'broker', data: fromBroker(frame('MESSAGE', [...BROKER_PLAIN.slice(2), ...PLAIN_HEADERS.filter(([n]) => n !== 'receipt'), ...SECRET_HEADERS], 'hello')) },
    // Brokers quote the line they could not parse in their ERROR (ActiveMQ, Artemis, Apollo: `Unable to parse
    // header line [...]`), and STOMP 1.2 escapes that ':' as \c (§Value Encoding).
    { from: 'broker', data: fromBroker(frame('ERROR', [['message', `Unable to parse header line [passcode=${MISTYPED}]`], ['x-detail', `bad line passcode\\c${MISTYPED}`]], 'see the log')) },
  ], { brokerPort: 15674 });
}

describe('credential names', () => {
  it('are recognised whatever their case or prefix; STOMP identifiers and routing keys are not credentials', () => {
    for (const [name] of SECRET_HEADERS) expect(isSecretHeader(name), name).toBe(true);
    for (const [name] of [...PLAIN_HEADERS, ...BROKER_PLAIN]) expect(isSecretHeader(name), name).toBe(false);
    for (const name of ['id', 'receipt-id', 'transaction', 'heart-beat', 'version', 'accept-version', 'content-length', 'message', 'reply-to', 'expires', 'priority', 'sessions', 'keys', 'monkey']) {
      expect(isSecretHeader(name), name).toBe(false);
    }
  });
});

describe('credentials in an imported STOMP-over-WebSocket capture', () => {
  let dir = '';
  let db = '';
  let importOut = '';
  let session = 0;
  let connection = 0;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-sec-names-'));
    db = path.join(dir, 'n.db');
    const pcap = path.join(dir, 'ws.pcap');
    fs.writeFileSync(pcap, capture());
    const r = await runCli(['import', pcap, '--db', db, '--port', '15674', '--json']);
    expect(r.code, r.stderr).toBe(0);
    importOut = r.stdout + r.stderr;
    session = (JSON.parse(r.stdout) as { session: number }).session;
    const conns = await runCli(['connections', '--db', db, '--session', String(session), '--jsonl']);
    connection = (JSON.parse(conns.stdout.split('\n')[0]) as { connection: number }).connection;
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const allSecrets = () => [...SECRET_HEADERS.map(([, v]) => v), ...HANDSHAKE_SECRETS, MISTYPED];
  const none = (text: string, what: string) => {
    for (const v of allSecrets()) expect(text, `${what} shows ${v}`).not.toContain(v);
  };

  it('the import itself prints none', () => {
    none(importOut, 'the import');
  });

  it('`connections --jsonl` masks the upgrade\'s query tokens, credential headers and a token offered as subprotocol', async () => {
    const r = await runCli(['connections', '--db', db, '--session', String(session), '--jsonl']);
    expect(r.code, r.stderr).toBe(0);
    none(r.stdout, 'connections --jsonl');
    const c = JSON.parse(r.stdout.split('\n')[0]) as { transport: string; handshake: { subprotocol: string; offeredSubprotocols: string[]; request: { target: string; headers: Array<[string, string]> } } };
    expect(c.transport).toBe('websocket');
    expect(c.handshake.request.target).toBe(`/ws?access_token=${MASK}&x-api-key=${MASK}&apikey=${MASK}&room=lobby`);
    expect(c.handshake.offeredSubprotocols).toEqual(['v12.stomp', MASK]);
    expect(c.handshake.subprotocol).toBe('v12.stomp');
    expect(c.handshake.request.headers).toContainEqual(['Sec-WebSocket-Protocol', `v12.stomp, ${MASK}`]);
    expect(c.handshake.request.headers).toContainEqual(['Host', 'broker.example:15674']);
    // The recording keeps the wire truth: masking is a view.
    const core = Core.open(db);
    try {
      const stored = core.db.prepare('SELECT handshake FROM connections WHERE id = ?').pluck().get(connection) as string;
      for (const v of HANDSHAKE_SECRETS) expect(stored).toContain(v);
    } finally {
      await core.close();
    }
  });

  it('`frames --jsonl` masks every credential name and keeps the rest; --reveal-secrets shows them', async () => {
    const r = await runCli(['frames', '--db', db, '--session', String(session), '--jsonl']);
    expect(r.code, r.stderr).toBe(0);
    none(r.stdout, 'frames --jsonl');
    const frames = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { command: string; headers: Array<[string, string]> });
    const send = frames.find((f) => f.command === 'SEND')!;
    const message = frames.find((f) => f.command === 'MESSAGE')!;
    for (const f of [send, message]) {
      for (const [name] of SECRET_HEADERS) expect(f.headers, `${f.command} ${name}`).toContainEqual([name, MASK]);
      for (const h of PLAIN_HEADERS.filter(([n]) => n !== 'receipt')) expect(f.headers).toContainEqual(h);
    }
    for (const h of BROKER_PLAIN.slice(2)) expect(message.headers).toContainEqual(h);
    expect(frames.find((f) => f.command === 'CONNECTED')!.headers).toContainEqual(['session', 'sess-visible']);
    const revealed = await runCli(['frames', '--db', db, '--session', String(session), '--jsonl', '--reveal-secrets']);
    for (const [, v] of SECRET_HEADERS) expect(revealed.stdout).toContain(v);
  });

  it('the stomp.py and stompjs exports mask them (constants to fill in) unless --reveal-secrets', async () => {
    for (const format of ['stomp.py', 'stompjs']) {
      const out = path.join(dir, `conn.${format === 'stomp.py' ? 'py' : 'mjs'}`);
      const r = await runCli(['export', '--db', db, '--connection', String(connection), '--format', format, '--out', out, '--force']);
      expect(r.code, r.stderr).toBe(0);
      const code = fs.readFileSync(out, 'utf8');
      none(code + r.stdout + r.stderr, `export --format ${format}`);
      expect(code).toContain('rk-visible');
      const revealedOut = path.join(dir, `revealed-${format}`);
      expect((await runCli(['export', '--db', db, '--connection', String(connection), '--format', format, '--out', revealedOut, '--reveal-secrets'])).code).toBe(0);
      const revealed = fs.readFileSync(revealedOut, 'utf8');
      for (const [, v] of SECRET_HEADERS) expect(revealed, `${format} --reveal-secrets`).toContain(v);
    }
  });

  it('the pcapng export masks them byte for byte, the mistyped passcode line too', async () => {
    const out = path.join(dir, 'names.pcapng');
    const r = await runCli(['export', '--db', db, '--session', String(session), '--format', 'pcapng', '--out', out, '--force']);
    expect(r.code, r.stderr).toBe(0);
    const bytes = fs.readFileSync(out).toString('latin1');
    none(bytes, 'export --format pcapng');
    expect(bytes).toContain(`passcode=${'*'.repeat(MISTYPED.length)}\n`);
    expect(bytes).toContain('rk-visible');
  });

  it('a credential the broker quotes in its ERROR is masked where the ERROR is shown: frames --jsonl, frame detail, raw bytes', async () => {
    const r = await runCli(['frames', '--db', db, '--session', String(session), '--jsonl']);
    const error = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { command: string; headers: Array<[string, string]> }).find((f) => f.command === 'ERROR')!;
    expect(error.headers).toEqual([['message', `Unable to parse header line [passcode=${MASK}]`], ['x-detail', `bad line passcode:${MASK}`]]);
    const core = Core.open(db);
    try {
      const id = core.db.prepare(`SELECT id FROM frames WHERE command = 'ERROR'`).pluck().get() as number;
      const d = await core.invoke('frame.detail', { id });
      const raw = Buffer.from(d.rawBase64 ?? '', 'base64').toString('latin1');
      none(JSON.stringify(d.headers) + raw, 'the ERROR\'s frame detail');
      expect(raw).toContain(`[passcode=${'*'.repeat(MISTYPED.length)}]`);
      const shown = await core.invoke('frame.detail', { id, revealSecrets: true });
      expect(JSON.stringify(shown.headers)).toContain(MISTYPED);
    } finally {
      await core.close();
    }
  });

  it('a mistyped credential line is reported without its text: frames --jsonl, Expert Info, and no issue message anywhere', async () => {
    const r = await runCli(['frames', '--db', db, '--session', String(session), '--jsonl', '--reveal-secrets']);
    const connect = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { command: string; issues: Array<{ code: string; message: string }> }).find((f) => f.command === 'CONNECT')!;
    const malformed = connect.issues.find((i) => i.code === 'malformed-header');
    expect(malformed, JSON.stringify(connect.issues)).toBeDefined();
    expect(malformed!.message).not.toContain(MISTYPED);
    const core = Core.open(db);
    try {
      const info = await core.invoke('session.expertInfo', { session });
      expect(JSON.stringify(info)).toContain('malformed-header');
      none(JSON.stringify(info), 'Expert Info');
      const messages = (core.db.prepare('SELECT message FROM issues WHERE session_id = ?').pluck().all(session) as string[]).join('\n');
      expect(messages).toContain(`upgraded to WebSocket at /ws?access_token=${MASK}&x-api-key=${MASK}&apikey=${MASK}&room=lobby, subprotocol v12.stomp`);
      none(messages, 'the recorded issue messages');
    } finally {
      await core.close();
    }
  });
});

describe('issue messages recorded before they stopped quoting credential lines', () => {
  let dir = '';
  let db = '';
  let session = 0;
  const OLD = `header line without ':' "passcode=${MISTYPED}"`;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-sec-old-'));
    db = path.join(dir, 'o.db');
    const core = Core.open(db);
    try {
      session = seedSession(core.db, {
        name: 'old', connections: 1,
        frames: [{ conn: 1, from: 'client', command: 'CONNECT', headers: [['accept-version', '1.2']], issues: [{ code: 'malformed-header', severity: 'error', message: OLD }] }],
      }).session;
    } finally {
      await core.close();
    }
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('are masked when shown: frames --jsonl (unless --reveal-secrets) and Expert Info', async () => {
    const r = await runCli(['frames', '--db', db, '--session', String(session), '--jsonl']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`"passcode=${MASK}\\"`);
    expect(r.stdout).not.toContain(MISTYPED);
    expect((await runCli(['frames', '--db', db, '--session', String(session), '--jsonl', '--reveal-secrets'])).stdout).toContain(MISTYPED);
    const core = Core.open(db);
    try {
      const info = JSON.stringify(await core.invoke('session.expertInfo', { session }));
      expect(info).toContain('passcode=');
      expect(info).not.toContain(MISTYPED);
    } finally {
      await core.close();
    }
  });
});

