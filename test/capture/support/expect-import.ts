// The oracle of the real-traffic import tests: every connection of an imported capture holds exactly the frames
// its client logged sending and receiving (command, headers unescaped per version, body length and SHA-256,
// text body, order within each direction, direction), its heart-beats both ways, and no wire errors.
import { expect } from 'vitest';
import { isoToMicros, pick } from '../../support/checks.js';
import type { LogRecord } from '../../support/clients/stompjs-scenario.js';
import { loggedFrames, loggedHeartbeats } from '../../support/clients/stomppy.js';
import type { JsonlFrame } from '../../support/proxy-cli.js';
import type { ImportedCapture } from './import-helper.js';

export interface LoggedClient {
  name: string;
  records: LogRecord[];
  localPort: number;
}

export function expectImportMatchesLogs(got: ImportedCapture, clients: LoggedClient[], broker: string): void {
  expect(got.result.complete, 'import complete').toBe(true);
  expect(got.result.warnings).toEqual([]);
  expect(got.connections.map((c) => c.client).sort()).toEqual(clients.map((c) => `127.0.0.1:${c.localPort}`).sort());
  for (const client of clients) {
    const conn = got.connections.find((c) => c.client === `127.0.0.1:${client.localPort}`)!;
    expect(conn.broker, client.name).toBe(broker);
    const rows = (got.frames as unknown as JsonlFrame[]).filter((f) => f.connection === conn.connection).sort((a, b) => a.seq - b.seq);
    expect(rows.filter((f) => f.from === 'client').map(pick), `${client.name}: client → broker`).toEqual(loggedFrames(client.records, 'sent'));
    expect(rows.filter((f) => f.from === 'broker').map(pick), `${client.name}: broker → client`).toEqual(loggedFrames(client.records, 'received'));
    expect(conn.heartbeats, `${client.name}: heart-beats`).toEqual({ client: loggedHeartbeats(client.records, 'sent'), broker: loggedHeartbeats(client.records, 'received') });
    expect(rows.flatMap((f) => f.issues.filter((i) => i.severity === 'error')), client.name).toEqual([]);
    // Times are the capture's: each frame was on the wire within a second of when its client logged it (the log
    // is written on the client's side of the socket, so the two clocks are the same host's).
    const logged = client.records.filter((r) => r.event === 'frame');
    const byDir = { client: logged.filter((r) => r.dir === 'sent'), broker: logged.filter((r) => r.dir === 'received') };
    for (const dir of ['client', 'broker'] as const) {
      const mine = rows.filter((f) => f.from === dir);
      for (const [i, f] of mine.entries()) {
        expect(Math.abs(isoToMicros(f.time) - isoToMicros(byDir[dir][i].t)), `${client.name} ${dir} frame ${i} time`).toBeLessThan(1_000_000);
        if (i) expect(isoToMicros(f.time)).toBeGreaterThanOrEqual(isoToMicros(mine[i - 1].time));
      }
    }
    // Causality across directions: CONNECTED after CONNECT/STOMP, each RECEIPT after the frame that asked for it.
    const seqOf = (pred: (f: JsonlFrame) => boolean) => rows.find(pred)?.seq ?? -1;
    expect(seqOf((f) => f.command === 'CONNECTED')).toBeGreaterThan(seqOf((f) => f.command === 'CONNECT' || f.command === 'STOMP'));
    for (const rc of rows.filter((f) => f.command === 'RECEIPT')) {
      const id = rc.headers.find(([k]) => k === 'receipt-id')?.[1];
      expect(rc.seq).toBeGreaterThan(seqOf((f) => f.from === 'client' && f.headers.some(([k, v]) => k === 'receipt' && v === id)));
    }
  }
}
