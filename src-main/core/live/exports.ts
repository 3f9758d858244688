// Exports of a session's frames, in the `stompscope frames --jsonl` shape. The UI asks for a ticket (a command
// of the contract); the host streams the ticket's lines to where the user wants them. Tickets are single-use
// and expire, so a ticket that leaks is worth little.
import { randomBytes } from 'node:crypto';
import { ApiError } from '../../../shared/api.js';
import { filteredFrames } from '../query/filtered-frames.js';
import { conditionOf } from '../query/frames-query.js';
import { openDb } from '../store/db.js';
import { StoreReader, type ConnectionInfo } from '../store/reader.js';
import { frameJson } from '../views/frame-json.js';

const TICKET_MS = 60_000;

export class ExportManager {
  private readonly tickets = new Map<string, { session: number; filter: string; reveal: boolean; expires: number }>();

  constructor(private readonly dbPath: string) {}

  /** `reveal`: keep credentials as recorded; by default they are masked (shared/stomp/secrets.ts). */
  ticket(session: number, filter: string, reveal = false): { ticket: string; filename: string } {
    conditionOf(filter); // a bad filter fails here, with its place, not in the host
    const now = Date.now();
    for (const [k, t] of this.tickets) if (t.expires < now) this.tickets.delete(k);
    const ticket = randomBytes(18).toString('base64url');
    this.tickets.set(ticket, { session, filter, reveal, expires: now + TICKET_MS });
    return { ticket, filename: `stompscope-session-${session}${filter.trim() ? '-filtered' : ''}.jsonl` };
  }

  /** The lines of a ticket (each ends with a newline); null for an unknown, used or expired ticket. */
  take(ticket: string): Generator<string> | null {
    const t = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (!t || t.expires < Date.now()) return null;
    return lines(this.dbPath, t.session, t.filter, t.reveal);
  }
}

function* lines(dbPath: string, session: number, filter: string, reveal: boolean): Generator<string> {
  const reader = new StoreReader(openDb(dbPath, { readonly: true }));
  try {
    if (!reader.hasSession(session)) throw new ApiError('not-found', `no session ${session}`);
    const conns = new Map<number, ConnectionInfo | null>();
    for (const f of filteredFrames(reader, filter, { session })) {
      if (!conns.has(f.connectionId)) conns.set(f.connectionId, reader.connection(f.connectionId));
      yield JSON.stringify(frameJson(reader, f, conns.get(f.connectionId)!, { maskSecrets: !reveal })) + '\n';
    }
  } finally {
    reader.close();
  }
}
