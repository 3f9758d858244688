// Import of a real capture of real clients talking to ActiveMQ classic (Debian's activemq 5.17, started privately
// by test/support/activemq.ts): tcpdump records the loopback as classic pcap while stomp.py speaks STOMP 1.1 and
// 1.2 and stompjs 1.2, concurrently; the file is imported and every connection must hold exactly the frames its
// client logged (command, headers, body hash, order, direction) and its heart-beats.
//
// What ActiveMQ does differently from RabbitMQ, and the import must carry unchanged: CONNECTED carries
// `server:ActiveMQ/<version>` and a `session` id; MESSAGE frames carry JMS headers (expires, priority, timestamp,
// message-id `ID:<host>-…`); a SEND with content-length becomes a JMS BytesMessage and comes back with a
// content-length (ActiveMQ's TextMessage-vs-BytesMessage behaviour).
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { header } from '../support/checks.js';
import { startActiveMQ, type ActiveMQNode } from '../support/activemq.js';
import { runStompjsScenario } from '../support/clients/stompjs-scenario.js';
import { runStomppy } from '../support/clients/stomppy.js';
import { CAPTURES } from './support/capture-tools.js';
import { captureWhile } from './support/capture-run.js';
import { expectImportMatchesLogs, type LoggedClient } from './support/expect-import.js';
import { importFile, tempDir, type ImportedCapture } from './support/import-helper.js';

describe('import of a real capture of real clients and ActiveMQ', () => {
  let broker: ActiveMQNode | null = null;
  let dir = '';
  let clients: LoggedClient[] = [];
  let got: ImportedCapture;

  beforeAll(async () => {
    dir = tempDir('stompscope-activemq-capture-');
    broker = await startActiveMQ();
    const spec = CAPTURES.find((c) => c.tool === 'tcpdump' && c.format === 'pcap' && c.args.includes('lo'))!;
    const port = broker.stompPort;
    const { files, result } = await captureWhile([spec], dir, [port], () =>
      Promise.all([
        runStomppy({ port, version: '1.2', messages: 2, heartbeatMs: 500, lingerS: 1.2 }),
        runStomppy({ port, version: '1.1', messages: 2, heartbeatMs: 500, lingerS: 1.2 }),
        runStompjsScenario({ port, version: '1.2', messages: 2, heartbeatMs: 500, lingerMs: 1200 }),
      ]),
    );
    const [py12, py11, js12] = result;
    for (const [name, r] of [['stomp.py 1.2', py12], ['stomp.py 1.1', py11], ['stompjs 1.2', js12]] as const) {
      expect(r.ok, `${name}: ${JSON.stringify(r.summary.errors)}`).toBe(true);
    }
    clients = [
      { name: 'stomp.py 1.2', records: py12.records, localPort: py12.summary.localPort! },
      { name: 'stomp.py 1.1', records: py11.records, localPort: py11.summary.localPort! },
      { name: 'stompjs 1.2', records: js12.records, localPort: js12.summary.localPort! },
    ];
    got = await importFile(dir, files[0]);
  }, 150_000);

  afterAll(async () => {
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every connection holds exactly what its client logged, both directions, in order, with its heart-beats', () => {
    expect(got.session?.meta).toMatchObject({ format: 'pcap', linkTypes: ['EN10MB (1)'], completed: true });
    expectImportMatchesLogs(got, clients, `127.0.0.1:${broker!.stompPort}`);
    expect(got.connections.map((c) => c.version).sort()).toEqual(['1.1', '1.2', '1.2']);
  });

  it("ActiveMQ's own wire: CONNECTED names the server, BytesMessage comes back with content-length", () => {
    const connected = got.frames.filter((f) => f.command === 'CONNECTED');
    expect(connected).toHaveLength(3);
    for (const f of connected) {
      expect(header(f, 'server')).toMatch(/^ActiveMQ\/\d+\.\d+/);
      expect(header(f, 'session')).toMatch(/^ID:/);
    }
    const binary = got.frames.filter((f) => f.command === 'MESSAGE' && header(f, 'content-type') === 'application/octet-stream');
    expect(binary).toHaveLength(3);
    for (const f of binary) {
      expect(f.body).toBeNull(); // not UTF-8: NULs and 0xff in the body
      expect(Number(header(f, 'content-length'))).toBe(f.bodyLength);
      expect(header(f, 'message-id')).toMatch(/^ID:/);
    }
  });
});
