// Replays started from the UI (`replay.start`): core/replay/replay.ts run as a job, reporting progress and the
// result as events, like capture imports. The replay records through its own Recorder, as the CLI's does.
import { X509Certificate } from 'node:crypto';
import { ApiError, type Events, type ReplayStartDto } from '../../../shared/api/index.js';
import { isOriginalBroker } from '../../../shared/replay-target.js';
import { openDb } from '../store/db.js';
import { StoreReader } from '../store/reader.js';
import { prepareReplay, ReplayError, ReplayRefused, replayConnection } from '../replay/replay.js';
import { parseHostPort } from './proxies.js';

/** Default longest wait for one answer (the CLI's --timeout default). */
const DEFAULT_TIMEOUT_MS = 10_000;
/** Progress events at most this often (the last one always goes). */
const PROGRESS_EVERY_MS = 100;

/** The CA PEM text of a replay or resend target as node:tls takes it, refused with OpenSSL's reason when unreadable. */
export function loadCa(text: string | undefined): Buffer | undefined {
  if (text === undefined) return undefined;
  // node:tls skips CA entries it cannot parse without a word: parse each block to report OpenSSL's reason.
  try {
    for (const block of text.match(/-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g) ?? []) new X509Certificate(block);
  } catch (e) {
    throw new ApiError('bad-request', `the CA file: ${(e as Error).message}`);
  }
  return Buffer.from(text);
}

type ReplayEvent = 'replay.progress' | 'replay.done' | 'sessions.changed';

export class ReplayManager {
  private nextJob = 1;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly dbPath: string, private readonly emit: <E extends ReplayEvent>(event: E, data: Events[E]) => void) {}

  /**
   * Refuses at once what needs no network (an unknown connection, a masked passcode with none given, the
   * original broker unconfirmed, unreadable CA text), so the dialog shows it beside the form; then runs.
   */
  start(o: ReplayStartDto): { job: number } {
    const target = parseHostPort(o.target, 'target', 61613);
    const reader = new StoreReader(openDb(this.dbPath, { readonly: true }));
    try {
      const conn = reader.connection(o.connection);
      if (!conn) throw new ApiError('not-found', `no connection ${o.connection}`);
      if (!o.confirmOriginalBroker && isOriginalBroker(o.target, conn.broker)) {
        throw new ApiError('conflict', `${o.target} is the broker connection ${conn.id} was recorded with: replaying there re-sends its messages and acks; confirm to go ahead`);
      }
      prepareReplay(reader, { connection: o.connection, until: o.until ?? null, login: o.login, passcode: o.passcode });
    } catch (e) {
      // The core's messages name the CLI's flags; the dialog's fields carry the same names without dashes.
      if (e instanceof ReplayRefused) throw new ApiError('bad-request', e.message.replace(/--(passcode|login|connection)/g, '$1'));
      throw e;
    } finally {
      reader.close();
    }
    const ca = loadCa(o.ca);
    const job = this.nextJob++;
    const p = this.run(job, o, target, ca).finally(() => this.running.delete(p));
    this.running.add(p);
    return { job };
  }

  private async run(job: number, o: ReplayStartDto, target: { host: string; port: number }, ca: Buffer | undefined): Promise<void> {
    const original = o.connection;
    let session: number | null = null;
    let last = 0;
    try {
      const r = await replayConnection({
        dbPath: this.dbPath, connection: original, target,
        tls: o.targetTls ? { ca, insecure: !!o.insecure } : null,
        speed: o.asFastAsPossible ? null : (o.speed ?? 1),
        login: o.login, passcode: o.passcode, mapDestination: new Map(o.mapDestination ?? []),
        until: o.until ?? null, timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS, name: o.name?.trim() || undefined,
        onProgress: (p) => {
          if (session === null) {
            session = p.session;
            // The new session appears in the list while it records.
            this.emit('sessions.changed', {});
          }
          const now = Date.now();
          if (now - last < PROGRESS_EVERY_MS && p.done < p.total) return;
          last = now;
          this.emit('replay.progress', { job, original, session: p.session, sent: p.done, total: p.total });
        },
      });
      this.emit('replay.done', {
        job, original, session: r.session, connection: r.connection, sent: r.sent, received: r.received,
        findings: r.findings.map((f) => ({ code: f.code, severity: f.severity, message: f.message, seq: f.seq, number: f.number ?? null })), error: null,
      });
    } catch (e) {
      const message = e instanceof ReplayError || e instanceof ReplayRefused ? e.message : `replay failed: ${(e as Error).message}`;
      this.emit('replay.done', { job, original, session, connection: null, sent: 0, received: 0, findings: [], error: message });
    } finally {
      this.emit('sessions.changed', {});
    }
  }

  /** Waits for running replays (on close): their sessions are ended by replayConnection itself. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }
}
