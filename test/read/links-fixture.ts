// Correlation links for seeded sessions, written straight into the `links` table as the analysis engine would,
// so the read side and the UI are tested without the engine: CONNECT -> CONNECTED, receipt ->
// RECEIPT, SUBSCRIBE -> MESSAGE (by subscription id), MESSAGE -> ACK (1.2: ack = id), SEND -> MESSAGE (same
// destination and body length, in order). Latency is the difference of the frames' times.
import type { Db } from '../../src-main/core/store/db.js';

interface F {
  id: number;
  connection_id: number;
  command: string;
  destination: string | null;
  headers: string;
  time: number;
  body_length: number;
}

export function linkSession(db: Db, session: number): number {
  const frames = db.prepare(`SELECT id, connection_id, command, destination, headers, time, body_length FROM frames WHERE session_id = ? ORDER BY id`).all(session) as F[];
  const ins = db.prepare(`INSERT INTO links (session_id, kind, from_frame, to_frame, latency) VALUES (?, ?, ?, ?, ?)`);
  const h = (f: F, name: string) => (JSON.parse(f.headers) as Array<[string, string]>).find(([k]) => k === name)?.[1];
  let n = 0;
  const link = (kind: string, a: F, b: F) => {
    ins.run(session, kind, a.id, b.id, b.time - a.time);
    n++;
  };
  db.transaction(() => {
    const connect = new Map<number, F>();
    const receipts = new Map<string, F>();
    const subs = new Map<string, F>();
    const acks = new Map<string, F>();
    const sends = new Map<string, F[]>();
    for (const f of frames) {
      const key = (v: string | undefined) => `${f.connection_id}:${v}`;
      switch (f.command) {
        case 'CONNECT':
        case 'STOMP':
          connect.set(f.connection_id, f);
          break;
        case 'CONNECTED': {
          const c = connect.get(f.connection_id);
          if (c) link('connect', c, f);
          break;
        }
        case 'SUBSCRIBE':
          subs.set(key(h(f, 'id')), f);
          break;
        case 'RECEIPT': {
          const r = receipts.get(key(h(f, 'receipt-id')));
          if (r) link('receipt', r, f);
          break;
        }
        case 'MESSAGE': {
          const s = subs.get(key(h(f, 'subscription')));
          if (s) link('subscription', s, f);
          const sent = sends.get(`${f.destination}:${f.body_length}`)?.shift();
          if (sent) link('delivery', sent, f);
          acks.set(key(h(f, 'ack')), f);
          break;
        }
        case 'ACK':
        case 'NACK': {
          const m = acks.get(key(h(f, 'id')));
          if (m) link('ack', m, f);
          break;
        }
        case 'SEND': {
          const k = `${f.destination}:${f.body_length}`;
          const q = sends.get(k);
          if (q) q.push(f);
          else sends.set(k, [f]);
          break;
        }
      }
      const receipt = f.command !== 'RECEIPT' ? h(f, 'receipt') : undefined;
      if (receipt !== undefined) receipts.set(key(receipt), f);
    }
  })();
  return n;
}
