// The read side of Expert Info: a session's issues grouped by severity, then code, with counts, the catalogue's
// title, explanation and spec reference (shared/issues.ts), and the first entries of each code with the frame to
// jump to. Counting uses the covering index issues_session(session_id, code), so a session with a million issues
// costs one index scan; only the first entries of each code are read from the table.
import type { ExpertCodeDto, ExpertEntryDto, ExpertInfoDto } from '../../../shared/api/index.js';
import { issueInfo } from '../../../shared/issues.js';
import type { Severity } from '../../../shared/stomp/types.js';
import { maskText } from '../../../shared/stomp/secrets.js';
import type { Db } from '../store/db.js';
import { NearestFrame } from './nearest-frame.js';

export const DEFAULT_EXPERT_ENTRIES = 20;

const SEVERITY_ORDER: Severity[] = ['error', 'warning', 'note'];

interface IssueRow {
  id: number;
  frame_id: number | null;
  connection_id: number | null;
  time: number;
  severity: string;
  message: string;
}

export class ExpertInfoReader {
  private readonly counts;
  private readonly countsInConn;
  private readonly first;
  private readonly firstInConn;
  private readonly nearest: NearestFrame;

  constructor(db: Db) {
    this.counts = db.prepare(`SELECT code, count(*) AS n FROM issues WHERE session_id = ? GROUP BY code`);
    this.countsInConn = db.prepare(`SELECT code, count(*) AS n FROM issues WHERE session_id = ? AND connection_id = ? GROUP BY code`);
    this.first = db.prepare(`SELECT id, frame_id, connection_id, time, severity, message FROM issues WHERE session_id = ? AND code = ? ORDER BY id LIMIT ?`);
    this.firstInConn = db.prepare(`SELECT id, frame_id, connection_id, time, severity, message FROM issues
      WHERE session_id = ? AND code = ? AND connection_id = ? ORDER BY id LIMIT ?`);
    this.nearest = new NearestFrame(db);
    this.frameNumber = db.prepare(`SELECT number FROM frames WHERE id = ?`).pluck();
    this.connectionNumber = db.prepare(`SELECT number FROM connections WHERE id = ?`).pluck();
  }

  private readonly frameNumber;
  private readonly connectionNumber;

  read(session: number, opts: { connection?: number; entries?: number } = {}): ExpertInfoDto {
    const entries = opts.entries ?? DEFAULT_EXPERT_ENTRIES;
    const conn = opts.connection;
    const counts = (conn === undefined ? this.counts.all(session) : this.countsInConn.all(session, conn)) as Array<{ code: string; n: number }>;
    const bySeverity = new Map<Severity, ExpertCodeDto[]>();
    let total = 0;
    for (const { code, n } of counts) {
      total += n;
      // At least one row: its stored severity is what the frame list shows for this code.
      const rows = (conn === undefined ? this.first.all(session, code, Math.max(1, entries)) : this.firstInConn.all(session, code, conn, Math.max(1, entries))) as IssueRow[];
      const info = issueInfo(code);
      const severity = asSeverity(rows[0]?.severity) ?? info?.severity ?? 'note';
      const dto: ExpertCodeDto = {
        code, severity, count: n,
        title: info?.title ?? code,
        explanation: info?.explanation ?? 'This build of StompScope has no description of this code (the recording may come from a newer version).',
        specRef: info?.specRef ?? '',
        entries: rows.slice(0, entries).map((r) => this.entry(session, r)),
      };
      let list = bySeverity.get(severity);
      if (!list) bySeverity.set(severity, (list = []));
      list.push(dto);
    }
    const groups = SEVERITY_ORDER.filter((s) => bySeverity.has(s)).map((severity) => {
      const codes = bySeverity.get(severity)!.sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
      return { severity, count: codes.reduce((s, c) => s + c.count, 0), codes };
    });
    return { session, total, groups };
  }

  private entry(session: number, r: IssueRow): ExpertEntryDto {
    const frameId = r.frame_id ?? this.nearest.find(session, r.connection_id, r.time);
    // Masked as frames' headers are: older recordings' messages may quote a credential line (`passcode=…`).
    return {
      issue: r.id, frameId, frameNumber: frameId === null ? null : ((this.frameNumber.get(frameId) as number | null | undefined) ?? null),
      onFrame: r.frame_id !== null, connection: r.connection_id,
      connectionNumber: r.connection_id === null ? null : ((this.connectionNumber.get(r.connection_id) as number | null | undefined) ?? null),
      t: r.time, message: maskText(r.message),
    };
  }
}

function asSeverity(s: string | undefined): Severity | null {
  return s === 'error' || s === 'warning' || s === 'note' ? s : null;
}
