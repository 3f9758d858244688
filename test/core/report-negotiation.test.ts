// The negotiated state is computed once, by the conversation stage, and stored with the connection; the report
// reads it from there. Connections recorded before it was stored (an older database, migrated or opened
// read-only) get it derived from their stored CONNECT and CONNECTED, as before.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { computeReport } from '../../src-main/core/read/report.js';
import { ConnectionRecorder } from '../../src-main/core/record/connection-recorder.js';
import { openDb } from '../../src-main/core/store/db.js';
import { MIGRATIONS } from '../../src-main/core/store/migrations.js';
import { StoreWriter } from '../../src-main/core/store/writer.js';
import { tmpDb as tmpDbIn } from '../support/tmp-db.js';

const tmpDb = () => tmpDbIn('stompscope-negotiation-');
const T = 1_700_000_000_000_000;
const b = (s: string) => Buffer.from(s, 'utf8');

/** One recorded connection: CONNECT heart-beat 1000,1000 and CONNECTED 2000,500 (client every 1000 ms, broker every 2000 ms). */
function record(dbPath: string, steps: Array<['client' | 'broker', string]>): number {
  const writer = new StoreWriter(openDb(dbPath));
  const session = writer.transaction(() => writer.createSession('import', 'negotiation', T));
  const id = writer.transaction(() => writer.createConnection(session, '127.0.0.1:50001', '127.0.0.1:61613', 'tcp', T));
  const rec = new ConnectionRecorder(writer, session, id);
  steps.forEach(([dir, text], i) => writer.transaction(() => {
    rec.push(dir, b(text), T + i * 1000);
    rec.flush();
  }));
  writer.transaction(() => rec.close(T + 10_000, 'client closed'));
  writer.close();
  return id;
}

const HANDSHAKE: Array<['client' | 'broker', string]> = [
  ['client', 'CONNECT\naccept-version:1.2\nhost:/\nheart-beat:1000,1000\n\n\0'],
  ['broker', 'CONNECTED\nversion:1.2\nheart-beat:2000,500\n\n\0'],
  ['client', 'DISCONNECT\n\n\0'],
];

describe('the negotiated state, stored with the connection', () => {
  it('is stored once the broker answered CONNECT, and the report reads it from the connection', () => {
    const dbPath = tmpDb();
    const id = record(dbPath, HANDSHAKE);
    const db = openDb(dbPath);
    const stored = db.prepare(`SELECT negotiation FROM connections WHERE id = ?`).pluck().get(id) as string;
    // STOMP 1.2 §Heart-beating: the client every max(1000, 500), the broker every max(2000, 1000).
    expect(JSON.parse(stored)).toEqual({ version: '1.2', heartBeats: { clientToBroker: 1000, brokerToClient: 2000 } });
    expect(computeReport(db)[0].connections[0].heartbeats.negotiated).toEqual({ clientToBroker: 1000, brokerToClient: 2000 });
    // What the report shows is the stored state, not the frames derived again.
    db.prepare(`UPDATE connections SET negotiation = ? WHERE id = ?`)
      .run(JSON.stringify({ version: '1.2', heartBeats: { clientToBroker: 0, brokerToClient: 0 } }), id);
    const r = computeReport(db)[0].connections[0].heartbeats;
    expect(r.negotiated).toEqual({ clientToBroker: 0, brokerToClient: 0 });
    expect(r.health).toBe('none');
    db.close();
  });

  it('a connection with no CONNECTED negotiated nothing: stored as such, not derived', () => {
    const dbPath = tmpDb();
    const id = record(dbPath, [HANDSHAKE[0]]);
    const db = openDb(dbPath, { readonly: true });
    expect(db.prepare(`SELECT negotiation FROM connections WHERE id = ?`).pluck().get(id)).toBe('{}');
    expect(computeReport(db)[0].connections[0].heartbeats.negotiated).toBeNull();
    db.close();
  });

  it('a connection recorded before the state was stored (NULL) gets it derived from its CONNECT and CONNECTED', () => {
    const dbPath = tmpDb();
    const id = record(dbPath, HANDSHAKE);
    const db = openDb(dbPath);
    db.prepare(`UPDATE connections SET negotiation = NULL WHERE id = ?`).run(id);
    expect(computeReport(db)[0].connections[0].heartbeats.negotiated).toEqual({ clientToBroker: 1000, brokerToClient: 2000 });
    db.close();
  });

  it('a schema-2 database: read-only (no column) and migrated (NULL) both derive it', () => {
    const dbPath = tmpDb();
    const old = new Database(dbPath);
    old.exec(MIGRATIONS[0]);
    old.exec(MIGRATIONS[1]);
    old.pragma('user_version = 2');
    old.prepare(`INSERT INTO sessions (id, kind, name, started) VALUES (1, 'proxy', 'old', ?)`).run(T);
    old.prepare(`INSERT INTO connections (id, session_id, client, broker, version, opened) VALUES (1, 1, 'c', 'b', '1.2', ?)`).run(T);
    const frame = old.prepare(`INSERT INTO frames (session_id, connection_id, seq, dir, time, offset, length, command, headers, body_offset, body_length)
      VALUES (1, 1, ?, ?, ?, 0, 10, ?, ?, 0, 0)`);
    frame.run(0, 0, T, 'CONNECT', JSON.stringify([['accept-version', '1.2'], ['heart-beat', '1000,1000']]));
    frame.run(1, 1, T + 1, 'CONNECTED', JSON.stringify([['version', '1.2'], ['heart-beat', '2000,500']]));
    old.close();
    const ro = openDb(dbPath, { readonly: true });
    expect(computeReport(ro)[0].connections[0].heartbeats.negotiated).toEqual({ clientToBroker: 1000, brokerToClient: 2000 });
    ro.close();
    const migrated = openDb(dbPath);
    expect(migrated.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(migrated.prepare(`SELECT negotiation FROM connections WHERE id = 1`).pluck().get()).toBeNull();
    expect(computeReport(migrated)[0].connections[0].heartbeats.negotiated).toEqual({ clientToBroker: 1000, brokerToClient: 2000 });
    migrated.close();
  });
});
