// The read side of correlation: the frames linked to one frame (frame detail's "Related frames"), and the links
// among the rows a sequence diagram shows. Links are written by the analysis engine as frames are stored
// (migration 2's `links` table); every lookup here goes through links_from or links_to.
import type { FrameLinkDto, LinkDto } from '../../../shared/api/index.js';
import type { Db } from '../store/db.js';
import type { FrameRowMapper } from './query/frames-query.js';

export const DEFAULT_LINK_LIMIT = 200;

interface LinkRow {
  kind: string;
  from_frame: number;
  to_frame: number;
  latency: number | null;
}

export class LinkReader {
  private readonly fromFrame;
  private readonly toFrame;
  private readonly countFrom;
  private readonly countTo;
  private readonly toAny;

  constructor(db: Db, private readonly rows: FrameRowMapper) {
    // ORDER BY rowid walks the index in place (entries with one from_frame are in rowid order): a SUBSCRIBE with
    // a million MESSAGEs returns its first `limit` without sorting them all. Links are stored in capture order.
    this.fromFrame = db.prepare(`SELECT kind, from_frame, to_frame, latency FROM links WHERE from_frame = ? ORDER BY rowid LIMIT ?`);
    this.toFrame = db.prepare(`SELECT kind, from_frame, to_frame, latency FROM links WHERE to_frame = ? ORDER BY rowid LIMIT ?`);
    this.countFrom = db.prepare(`SELECT count(*) FROM links WHERE from_frame = ?`).pluck();
    this.countTo = db.prepare(`SELECT count(*) FROM links WHERE to_frame = ?`).pluck();
    this.toAny = db.prepare(`SELECT kind, from_frame, to_frame, latency FROM links WHERE to_frame IN (SELECT value FROM json_each(?))`);
  }

  /** The frames linked to `id` both ways, the frames it answers first, then its answers; at most `limit` in all. */
  forFrame(id: number, limit = DEFAULT_LINK_LIMIT): { links: FrameLinkDto[]; total: number } {
    const causes = this.toFrame.all(id, limit) as LinkRow[];
    const answers = this.fromFrame.all(id, Math.max(0, limit - causes.length)) as LinkRow[];
    const total = (this.countTo.get(id) as number) + (this.countFrom.get(id) as number);
    const others = [...causes.map((l) => l.from_frame), ...answers.map((l) => l.to_frame)];
    const byId = new Map(this.rows.rows(others).map((r) => [r.id, r]));
    const links: FrameLinkDto[] = [];
    for (const l of causes) {
      const other = byId.get(l.from_frame);
      if (other) links.push({ kind: l.kind, role: 'cause', other, latencyUs: l.latency });
    }
    const answered: FrameLinkDto[] = [];
    for (const l of answers) {
      const other = byId.get(l.to_frame);
      if (other) answered.push({ kind: l.kind, role: 'answer', other, latencyUs: l.latency });
    }
    answered.sort((a, b) => a.other.id - b.other.id);
    links.sort((a, b) => a.other.id - b.other.id);
    return { links: [...links, ...answered], total };
  }

  /**
   * The links whose answering frame (`to`) is among `ids`. Looked up by `to` because a frame answers few others
   * (a MESSAGE: its SUBSCRIBE and its SEND), while one frame may be answered by a million (a SUBSCRIBE).
   */
  answering(ids: number[]): LinkDto[] {
    if (!ids.length) return [];
    return (this.toAny.all(JSON.stringify(ids)) as LinkRow[]).map((l) => ({ kind: l.kind, from: l.from_frame, to: l.to_frame, latencyUs: l.latency }));
  }
}
