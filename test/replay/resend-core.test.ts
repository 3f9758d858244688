// frame.resend against scripted brokers (test/replay/support.ts): what the broker receives byte for byte, and
// that a broker which drops the connection or answers ERROR is reported as a finding, never as a quiet success.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Core } from '../../src-main/core/api.js';
import { fakeBroker, frame, recordConversation, tmpDir, type FakeBroker } from './support.js';

describe('frame.resend with scripted brokers', () => {
  let dir = '';
  let core: Core;
  let sendId = 0;
  const brokers: FakeBroker[] = [];

  beforeAll(async () => {
    dir = tmpDir('stompscope-resend-');
    const db = path.join(dir, 'r.db');
    const rec = await recordConversation(db, [
      { from: 'client', data: frame('CONNECT', [['accept-version', '1.2'], ['host', '/']]) },
      { from: 'broker', data: frame('CONNECTED', [['version', '1.2']]) },
      { from: 'client', data: frame('SEND', [['destination', '/queue/a']], 'recorded') },
    ]);
    core = Core.open(db);
    const rows = await core.invoke('frames.page', { session: rec.session, after: 0, limit: 10 });
    sendId = rows.find((r) => r.command === 'SEND')!.id;
  });

  afterAll(async () => {
    for (const b of brokers) await b.close();
    await core?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const broker = async (onSend: (send: (d: string) => void, destroy: () => void) => void) => {
    const b = await fakeBroker((f, send, conn) => {
      if (f.command === 'CONNECT') send(frame('CONNECTED', [['version', '1.2']]));
      else if (f.command === 'SEND') onSend(send, () => conn.destroy());
      else if (f.command === 'DISCONNECT') send(frame('RECEIPT', [['receipt-id', f.rawHeaders.find(([n]) => n === 'receipt')![1]]]));
    });
    brokers.push(b);
    return b;
  };

  const resend = async (port: number, headers: Array<[string, string]>) => {
    const d = await core.invoke('frame.resendDraft', { id: sendId });
    expect(d.connect).toMatchObject({ command: 'CONNECT' });
    return core.invoke('frame.resend', {
      id: sendId, target: `127.0.0.1:${port}`, confirmOriginalBroker: true, connect: d.connect, timeoutMs: 3000,
      frame: { command: 'SEND', headers, bodyBase64: Buffer.from('edited').toString('base64') },
    });
  };

  it('sends the CONNECT, the edited frame escaped for 1.2, and a DISCONNECT with a receipt', async () => {
    const b = await broker((send) => send(frame('RECEIPT', [['receipt-id', 'r-1']])));
    const r = await resend(b.port, [['destination', '/queue/b'], ['x-line', 'one\ntwo'], ['receipt', 'r-1']]);
    expect(r.findings).toEqual([]);
    expect(b.connections[0].map((f) => f.command)).toEqual(['CONNECT', 'SEND', 'DISCONNECT']);
    const sent = b.connections[0][1];
    expect(sent.rawHeaders).toEqual([['destination', '/queue/b'], ['x-line', 'one\\ntwo'], ['receipt', 'r-1']]);
    expect(sent.body.toString()).toBe('edited');
    expect(b.connections[0][2].rawHeaders).toEqual([['receipt', 'stompscope-resend-disconnect']]);
  });

  it('a broker that drops the connection after the frame, without ERROR, is a finding', async () => {
    const b = await broker((_send, destroy) => destroy());
    const r = await resend(b.port, [['destination', '/queue/b']]);
    expect(r.findings.map((f) => f.code)).toEqual(['replay-connection-closed']);
    expect(r.received.map((x) => x.command)).toEqual(['CONNECTED']);
    // Dropped while a receipt was awaited: the same finding, not a timeout.
    const r2 = await resend(b.port, [['destination', '/queue/b'], ['receipt', 'r-2']]);
    expect(r2.findings.map((f) => [f.code, f.message])).toEqual([['replay-connection-closed', expect.stringContaining('RECEIPT r-2')]]);
  });

  it('an ERROR answer is reported with its message', async () => {
    const b = await broker((send) => send(frame('ERROR', [['message', 'not allowed']], 'details')));
    const r = await resend(b.port, [['destination', '/queue/b'], ['receipt', 'r-3']]);
    expect(r.findings.map((f) => [f.code, f.message])).toEqual([['replay-broker-error', 'broker sent ERROR: not allowed: details']]);
    expect(r.received.map((x) => x.command)).toEqual(['CONNECTED', 'ERROR', 'RECEIPT']);
  });
});
