// `frames.appended` and `issues.appended`: the recorder writes from its own thread (and a CLI proxy from its
// own process), so the core learns of new frames and issues by looking: every `intervalMs`, the largest frame
// id of each recording session (an index lookup), and the issues written since the last look (a rowid range).
// Only sessions that changed produce an event.
import type { Db } from './store/db.js';

export interface AppendedEvent {
  session: number;
  lastId: number;
  frames: number;
}

export interface IssuesAppendedEvent {
  session: number;
  lastId: number;
}

export class LiveWatcher {
  private timer: NodeJS.Timeout | null = null;
  private readonly known = new Map<number, { lastId: number; frames: number }>();
  private recording = new Set<number>();
  private readonly recordingQ;
  private readonly maxQ;
  private readonly countAfterQ;
  private readonly maxIssueQ;
  private readonly issuesAfterQ;
  /** The largest issue id seen; null until the first look (issues already there are not news). */
  private lastIssue: number | null = null;

  /**
   * `alsoWatch`: sessions this process is recording (its proxies), watched whatever their stored state says.
   * `onIssues`: issues written since the last look, per session.
   */
  constructor(db: Db, private readonly onAppended: (e: AppendedEvent) => void, private readonly onSessionsChanged: () => void,
    private readonly alsoWatch: () => number[] = () => [], private readonly intervalMs = 250,
    private readonly onIssues: (e: IssuesAppendedEvent) => void = () => {}) {
    this.recordingQ = db.prepare(`SELECT id FROM sessions WHERE state = 'recording'`).pluck();
    this.maxQ = db.prepare(`SELECT max(id) FROM frames WHERE session_id = ?`).pluck();
    this.countAfterQ = db.prepare(`SELECT count(*) FROM frames WHERE session_id = ? AND id > ?`).pluck();
    this.maxIssueQ = db.prepare(`SELECT coalesce(max(id), 0) FROM issues`).pluck();
    this.issuesAfterQ = db.prepare(`SELECT session_id, max(id) last FROM issues WHERE id > ? GROUP BY session_id`);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.poll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  poll(): void {
    const now = new Set([...(this.recordingQ.all() as number[]), ...this.alsoWatch()]);
    let changed = now.size !== this.recording.size;
    for (const s of now) if (!this.recording.has(s)) changed = true;
    // A session that just ended gets one last look, so its final frames are announced too.
    const look = new Set([...now, ...this.recording]);
    this.recording = now;
    for (const s of look) {
      const lastId = (this.maxQ.get(s) as number | null) ?? 0;
      const k = this.known.get(s) ?? { lastId: 0, frames: 0 };
      if (lastId > k.lastId) {
        const frames = k.frames + (this.countAfterQ.get(s, k.lastId) as number);
        this.known.set(s, { lastId, frames });
        this.onAppended({ session: s, lastId, frames });
      }
      if (!now.has(s)) this.known.delete(s);
    }
    this.pollIssues(look);
    if (changed) this.onSessionsChanged();
  }

  /** Issues of the sessions being recorded (`live`) written since the last look. */
  private pollIssues(live: Set<number>): void {
    const max = this.maxIssueQ.get() as number;
    const since = this.lastIssue;
    this.lastIssue = max;
    // First look, nothing new, issues deleted with their session, or nothing recording (an import's issues are
    // not followed live): no range to read.
    if (since === null || max <= since || live.size === 0) return;
    for (const r of this.issuesAfterQ.all(since) as Array<{ session_id: number; last: number }>) {
      if (live.has(r.session_id)) this.onIssues({ session: r.session_id, lastId: r.last });
    }
  }
}
