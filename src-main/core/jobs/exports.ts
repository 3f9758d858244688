// Exports of a session's frames, in the `stompscope frames --jsonl` shape, or of the whole session as pcapng
// (core/export/session-pcapng.ts). The UI asks for a ticket (a command of the contract); the host streams the
// ticket's lines or blocks to where the user wants them. Tickets are single-use and expire, so a ticket that
// leaks is worth little.
import { randomBytes } from 'node:crypto';
import { ApiError } from '../../../shared/api/index.js';
import { filteredFrames } from '../read/query/filtered-frames.js';
import { conditionOf } from '../read/query/frames-query.js';
import { openDb } from '../store/db.js';
import { StoreReader, type ConnectionInfo } from '../store/reader.js';
import { connectionJson, frameJson } from '../read/frame-json.js';
import { StatsReader } from '../read/stats.js';
import { statsCsv, statsSvg } from '../../../shared/stats/export.js';
import { sessionPcapng } from '../export/session-pcapng.js';

export type ExportFormat = 'jsonl' | 'pcapng' | 'stats.csv' | 'stats.svg';

const CONTENT_TYPES: Record<ExportFormat, string> = {
  jsonl: 'application/x-ndjson; charset=utf-8', pcapng: 'application/vnd.tcpdump.pcap', 'stats.csv': 'text/csv; charset=utf-8',
  'stats.svg': 'image/svg+xml; charset=utf-8',
};

const TICKET_MS = 60_000;

export class ExportManager {
  private readonly tickets = new Map<string, { session: number; filter: string; reveal: boolean; format: ExportFormat; expires: number }>();

  /**
   * `reveal`: keep credentials as recorded; by default they are masked (shared/stomp/secrets.ts). A pcapng
   * export holds whole connections, so it takes no filter.
   */
  ticket(session: number, filter: string, reveal = false, format: ExportFormat = 'jsonl'): { ticket: string; filename: string } {
    conditionOf(filter); // a bad filter fails here, with its place, not in the host
    if (format === 'pcapng' && filter.trim()) throw new ApiError('bad-request', 'a pcapng export holds whole connections: it takes no display filter');
    if (format.startsWith('stats.') && filter.trim()) throw new ApiError('bad-request', 'statistics are of the whole session: they take no display filter');
    const now = Date.now();
    for (const [k, t] of this.tickets) if (t.expires < now) this.tickets.delete(k);
    const ticket = randomBytes(18).toString('base64url');
    this.tickets.set(ticket, { session, filter, reveal, format, expires: now + TICKET_MS });
    const name = format.startsWith('stats.') ? `stompscope-session-${session}-${format}` : null;
    return { ticket, filename: name ?? `stompscope-session-${session}${filter.trim() ? '-filtered' : ''}.${format}` };
  }

  /** The media type of a ticket's content (for a download), or null for an unknown ticket. */
  contentType(ticket: string): string | null {
    const t = this.tickets.get(ticket);
    return t ? CONTENT_TYPES[t.format] : null;
  }

  /**
   * What a ticket exports (its content is read by the core's read worker, exportContent); null for an unknown,
   * used or expired ticket.
   */
  take(ticket: string): ExportSpec | null {
    const t = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (!t || t.expires < Date.now()) return null;
    return { session: t.session, filter: t.filter, reveal: t.reveal, format: t.format };
  }
}

/** What one export holds: a session's frames through a filter (JSON lines), or the whole session (pcapng). */
export interface ExportSpec {
  session: number;
  filter: string;
  reveal: boolean;
  format: ExportFormat;
}

/** The content of an export: JSON lines (strings, each ending with a newline) or pcapng blocks (bytes). */
export function exportContent(dbPath: string, t: ExportSpec): Generator<string | Uint8Array> {
  if (t.format === 'stats.csv' || t.format === 'stats.svg') return statsFile(dbPath, t.session, t.format);
  return t.format === 'pcapng' ? pcapngBlocks(dbPath, t.session, t.reveal) : sessionJsonLines(dbPath, t.session, t.filter, t.reveal);
}

/** The statistics view's tables (CSV) or charts (SVG) of a whole session, from the numbers `session.stats` answers. */
function* statsFile(dbPath: string, session: number, format: 'stats.csv' | 'stats.svg'): Generator<string> {
  const db = openDb(dbPath, { readonly: true });
  const reader = new StoreReader(db);
  try {
    if (!reader.hasSession(session)) throw new ApiError('not-found', `no session ${session}`);
    const stats = new StatsReader(db).read(session);
    yield format === 'stats.csv' ? statsCsv(stats, reader.connections(session).map(connectionJson)) : statsSvg(stats);
  } finally {
    reader.close();
  }
}

function* pcapngBlocks(dbPath: string, session: number, reveal: boolean): Generator<Uint8Array> {
  const reader = new StoreReader(openDb(dbPath, { readonly: true }));
  try {
    if (!reader.hasSession(session)) throw new ApiError('not-found', `no session ${session}`);
    yield* sessionPcapng(reader, session, { revealSecrets: reveal }, { connections: 0, packets: 0, bytes: 0, missingBytes: 0 });
  } finally {
    reader.close();
  }
}

/**
 * A session's frames through a display filter, one `frames --jsonl` line each (ending with a newline),
 * credentials masked unless `reveal`. Also `stompscope export --format jsonl` (core/export/).
 */
export function* sessionJsonLines(dbPath: string, session: number, filter: string, reveal: boolean, maxBody?: number): Generator<string> {
  const reader = new StoreReader(openDb(dbPath, { readonly: true }));
  try {
    if (!reader.hasSession(session)) throw new ApiError('not-found', `no session ${session}`);
    const conns = new Map<number, ConnectionInfo | null>();
    for (const f of filteredFrames(reader, filter, { session })) {
      if (!conns.has(f.connectionId)) conns.set(f.connectionId, reader.connection(f.connectionId));
      yield JSON.stringify(frameJson(reader, f, conns.get(f.connectionId)!, { maskSecrets: !reveal, maxBody })) + '\n';
    }
  } finally {
    reader.close();
  }
}
