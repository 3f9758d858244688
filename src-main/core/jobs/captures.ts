// Live captures started from the UI: each a LiveCapture (core/capture/live.ts) writing through its own
// connection, like `stompscope capture`. The watcher announces their frames as for any recording session.
import { execFile } from 'node:child_process';
import { ApiError, type CaptureDto, type CaptureInterfacesDto } from '../../../shared/api/index.js';
import { CAPTURE_ENGINES, findEngine, LiveCapture, LiveCaptureError, parseInterfaceList, engineError } from '../capture/live.js';
import { openDb } from '../store/db.js';
import { StoreWriter } from '../store/writer.js';

interface Running {
  capture: LiveCapture;
  writer: StoreWriter;
  interface: string;
}

export class CaptureManager {
  private readonly running = new Map<number, Running>();

  constructor(private readonly dbPath: string, private readonly onSessionsChanged: () => void) {}

  /** Listed without blocking the host's thread (the engine takes a moment), in at most 15 s. */
  async interfaces(): Promise<CaptureInterfacesDto> {
    let engine: (typeof CAPTURE_ENGINES)[number];
    try {
      engine = findEngine();
    } catch (e) {
      if (e instanceof LiveCaptureError) return { engine: null, interfaces: [], error: e.message };
      throw e;
    }
    return new Promise((resolve) => {
      execFile(engine, ['-D'], { timeout: 15_000, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err) resolve({ engine, interfaces: [], error: engineError(engine, '', stderr).message });
        else resolve({ engine, interfaces: parseInterfaceList(stdout), error: null });
      });
    });
  }

  async start(o: { interface: string; ports?: number[]; filter?: string; name?: string }): Promise<CaptureDto> {
    const writer = new StoreWriter(openDb(this.dbPath));
    let capture: LiveCapture;
    try {
      capture = await LiveCapture.start(writer, {
        interface: o.interface, ports: o.ports, filter: o.filter?.trim() ? o.filter : undefined, name: o.name?.trim() || undefined,
        onEnded: () => void this.stop(capture.sessionId),
      });
    } catch (e) {
      writer.close();
      if (e instanceof LiveCaptureError) throw new ApiError('bad-request', e.message);
      throw e;
    }
    this.running.set(capture.sessionId, { capture, writer, interface: o.interface });
    this.onSessionsChanged();
    return this.dto(capture.sessionId)!;
  }

  private dto(session: number): CaptureDto | null {
    const r = this.running.get(session);
    if (!r) return null;
    const c = r.capture;
    return { session, interface: r.interface, engine: c.engine, filter: c.filter, packets: c.packets, frames: c.frames };
  }

  list(): CaptureDto[] {
    return [...this.running.keys()].map((s) => this.dto(s)!);
  }

  async stop(session: number): Promise<boolean> {
    const r = this.running.get(session);
    if (!r) throw new ApiError('not-found', `no capture recording session ${session} in this process`);
    this.running.delete(session);
    try {
      await r.capture.stop();
    } finally {
      r.writer.close();
      this.onSessionsChanged();
    }
    return true;
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.running.keys()].map((s) => this.stop(s)));
  }
}
