// "Edit and resend…" from the UI: the editor's starting point (`frame.resendDraft`), the resend itself on a new
// connection (`frame.resend`, core/replay/resend.ts), and injection into the live proxied connection
// (`frame.inject`, core/proxy/injector.ts). Credentials leave the core masked and come back re-entered: the
// contract refuses a masked value (shared/api/contract.ts), so a placeholder never reaches a broker.
import {
  ApiError, INJECTABLE_COMMANDS, type EditedFrameDto, type InjectArgsDto, type InjectResultDto, type ResendArgsDto, type ResendDraftDto,
  type ResendResultDto,
} from '../../../shared/api/index.js';
import { buildFrame } from '../../../shared/stomp/encoder.js';
import { isOriginalBroker } from '../../../shared/replay-target.js';
import { interpretHeaders, type Header } from '../../../shared/stomp/escape.js';
import { isSecretHeader, MASK } from '../../../shared/stomp/secrets.js';
import { isConnectCommand } from '../../../shared/stomp/spec.js';
import type { RawHeader } from '../../../shared/stomp/types.js';
import type { Db } from '../store/db.js';
import type { StoreReader } from '../store/reader.js';
import { ReplayError } from '../replay/replay.js';
import { resendFrame, type ComposedFrame } from '../replay/resend.js';
import { parseHostPort, type ProxyManager } from './proxies.js';
import { loadCa } from './replays.js';

/** Bodies larger than this are not offered for editing (the contract carries at most MAX_RESEND_BODY_BASE64). */
const MAX_EDIT_BODY = 512 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;

interface FrameTableRow {
  id: number;
  number: number;
  session_id: number;
  connection_id: number;
  dir: number;
  command: string;
  headers: string;
  body_offset: number;
  body_length: number;
}

export class ResendManager {
  private readonly frameQ;
  private readonly connectQ;
  private readonly injectedQ;

  constructor(db: Db, private readonly reader: StoreReader, private readonly dbPath: string, private readonly onSessionsChanged: () => void,
    private readonly proxies: ProxyManager | null = null) {
    this.injectedQ = db.prepare(`SELECT id, number FROM frames WHERE connection_id = ? AND dir = 0 AND offset = ? AND injected = 1`);
    this.frameQ = db.prepare(`SELECT id, number, session_id, connection_id, dir, command, headers, body_offset, body_length FROM frames WHERE id = ?`);
    this.connectQ = db.prepare(`SELECT id, number, session_id, connection_id, dir, command, headers, body_offset, body_length FROM frames
      WHERE connection_id = ? AND dir = 0 AND command IN ('CONNECT', 'STOMP') ORDER BY seq LIMIT 1`);
  }

  private clientFrame(id: number): FrameTableRow {
    const f = this.frameQ.get(id) as FrameTableRow | undefined;
    if (!f) throw new ApiError('not-found', `no frame ${id}`);
    if (f.dir !== 0) throw new ApiError('bad-request', `frame ${id} was sent by the broker: only client frames can be resent`);
    return f;
  }

  private edited(f: FrameTableRow): EditedFrameDto {
    const version = this.reader.connection(f.connection_id)?.version ?? null;
    const { headers } = interpretHeaders(f.command, JSON.parse(f.headers) as RawHeader[], version);
    if (f.body_length > MAX_EDIT_BODY) throw new ApiError('bad-request', `frame ${f.id} has a body of ${f.body_length} bytes: too large to edit here (at most ${MAX_EDIT_BODY})`);
    const body = this.reader.readBytes(f.connection_id, 'client', f.body_offset, f.body_length);
    if (body === null) throw new ApiError('conflict', `the body bytes of frame ${f.id} were not recorded`);
    return {
      command: f.command,
      // Repeats are kept (the user may want to resend them as they were); credentials go out masked.
      headers: headers.map(([n, v]) => [n, isSecretHeader(n) ? MASK : v] as [string, string]),
      bodyBase64: body.toString('base64'),
    };
  }

  draft(id: number): ResendDraftDto {
    const f = this.clientFrame(id);
    const conn = this.reader.connection(f.connection_id)!;
    const isConnect = isConnectCommand(f.command);
    const c = isConnect ? undefined : (this.connectQ.get(f.connection_id) as FrameTableRow | undefined);
    return {
      id, number: f.number, connectionNumber: conn.number, session: f.session_id, connection: f.connection_id, broker: conn.broker, version: conn.version,
      frame: this.edited(f), connect: c ? this.edited(c) : null,
      inject: this.injectable(conn),
    };
  }

  private injectable(conn: NonNullable<ReturnType<StoreReader['connection']>>): { available: boolean; reason: string | null } {
    const reason = this.proxies ? this.proxies.whyNotInjectable(conn) : 'this StompScope runs no proxy';
    return { available: reason === null, reason };
  }

  /** `frame.inject`: the edited frame into the live connection, at the next boundary between the client's frames. */
  async inject(a: InjectArgsDto): Promise<InjectResultDto> {
    const conn = this.reader.connection(a.connection);
    if (!conn) throw new ApiError('not-found', `no connection ${a.connection}`);
    const command = a.frame.command;
    if (!(INJECTABLE_COMMANDS as readonly string[]).includes(command)) {
      throw new ApiError('bad-request', command === 'CONNECT' || command === 'STOMP'
        ? `${command} cannot be injected: connection ${conn.id} is already connected`
        : `${command} is not a client command that can be injected (${INJECTABLE_COMMANDS.join(', ')})`);
    }
    const why = this.proxies ? this.proxies.whyNotInjectable(conn) : 'this StompScope runs no proxy';
    if (why) throw new ApiError('conflict', why);
    let bytes: Uint8Array;
    try {
      // Escaped as the connection negotiated (STOMP 1.1/1.2 §Value Encoding), so the broker reads what was typed.
      bytes = buildFrame(conn.version, command, a.frame.headers, new Uint8Array(Buffer.from(a.frame.bodyBase64, 'base64')));
    } catch (e) {
      throw new ApiError('bad-request', (e as Error).message);
    }
    const { waited, offset } = await this.proxies!.inject(conn, bytes, a.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    // The recorder stores it within a batch or two (100 ms each): give the UI its id when it can.
    let stored: { id: number; number: number } | null = null;
    for (let k = 0; k < 60 && stored === null; k++) {
      stored = (this.injectedQ.get(conn.id, offset) as { id: number; number: number } | undefined) ?? null;
      if (stored === null) await new Promise((r) => setTimeout(r, 50));
    }
    return {
      session: conn.sessionId, connection: conn.id, connectionNumber: conn.number, bytes: bytes.length, waited,
      frame: stored?.id ?? null, frameNumber: stored?.number ?? null,
    };
  }

  async resend(a: ResendArgsDto): Promise<ResendResultDto> {
    const f = this.clientFrame(a.id);
    const conn = this.reader.connection(f.connection_id)!;
    if (!a.confirmOriginalBroker && isOriginalBroker(a.target, conn.broker)) {
      throw new ApiError('conflict', `${a.target} is the broker frame ${a.id} was recorded with; confirm to send there`);
    }
    const target = parseHostPort(a.target, 'target', 61613);
    const ca = loadCa(a.ca);
    const composed = (e: EditedFrameDto): ComposedFrame => ({
      command: e.command, headers: e.headers.map(([n, v]) => [n, v] as Header), body: new Uint8Array(Buffer.from(e.bodyBase64, 'base64')),
    });
    try {
      const r = await resendFrame({
        dbPath: this.dbPath, original: { id: a.id, session: f.session_id, connection: f.connection_id, version: conn.version },
        target, tls: a.targetTls ? { ca, insecure: !!a.insecure } : null,
        connect: a.connect ? composed(a.connect) : null, frame: composed(a.frame),
        timeoutMs: a.timeoutMs ?? DEFAULT_TIMEOUT_MS, name: a.name?.trim() || undefined,
      });
      return {
        session: r.session, connection: r.connection, version: r.version, received: r.received,
        findings: r.findings.map((x) => ({ code: x.code, severity: x.severity, message: x.message, seq: x.seq, number: x.number ?? null })),
      };
    } catch (e) {
      if (e instanceof ReplayError) throw new ApiError('conflict', e.message);
      throw e;
    } finally {
      this.onSessionsChanged();
    }
  }
}
