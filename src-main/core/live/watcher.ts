// `frames.appended`: the recorder writes from its own thread (and a CLI proxy from its own process), so the
// core learns of new frames by looking: every `intervalMs`, the largest frame id of each recording session
// (an index lookup). Only sessions that changed produce an event.
import type { Db } from '../store/db.js';

export interface AppendedEvent {
  session: number;
  lastId: number;
  frames: number;
}

export class LiveWatcher {
  private timer: NodeJS.Timeout | null = null;
  private readonly known = new Map<number, { lastId: number; frames: number }>();
  private recording = new Set<number>();
  private readonly recordingQ;
  private readonly maxQ;
  private readonly countAfterQ;

  /** `alsoWatch`: sessions this process is recording (its proxies), watched whatever their stored state says. */
  constructor(db: Db, private readonly onAppended: (e: AppendedEvent) => void, private readonly onSessionsChanged: () => void,
    private readonly alsoWatch: () => number[] = () => [], private readonly intervalMs = 250) {
    this.recordingQ = db.prepare(`SELECT id FROM sessions WHERE state = 'recording'`).pluck();
    this.maxQ = db.prepare(`SELECT max(id) FROM frames WHERE session_id = ?`).pluck();
    this.countAfterQ = db.prepare(`SELECT count(*) FROM frames WHERE session_id = ? AND id > ?`).pluck();
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
    if (changed) this.onSessionsChanged();
  }
}
