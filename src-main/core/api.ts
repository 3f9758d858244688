// The core's implementation of the shared API contract: each command written once, carried by every host. The
// commands that write (rename, delete, proxies, imports, replays, resends) run here, in the host's thread; every
// read runs in the core's read workers (read/pool.ts, handlers in read/handlers.ts), off the thread that
// forwards the proxies' bytes, time-limited and cancellable.
import {
  ApiError, validateArgs, type CommandArgs, type CommandName, type CommandResult, type EventName, type Events,
} from '../../shared/api/index.js';
import { filterError } from '../../shared/filter/parser.js';
import { LiveWatcher } from './watcher.js';
import { ProxyManager } from './jobs/proxies.js';
import { ImportManager } from './jobs/imports.js';
import { CaptureManager } from './jobs/captures.js';
import { ExportManager } from './jobs/exports.js';
import { ReplayManager } from './jobs/replays.js';
import { ResendManager } from './jobs/resends.js';
import { openDb, type Db } from './store/db.js';
import { StoreReader } from './store/reader.js';
import { deleteRawFile } from './store/raw-files.js';
import { READ_COMMANDS, type InternalReads } from './read/handlers.js';
import { DEFAULT_READ_TIMEOUT_MS, ReadPool, type ReadPoolOptions } from './read/pool.js';

/** `caller`: who asked (one UI: the host's connection or window), so that its newer query can replace its older one. */
type Handlers = { [C in CommandName]: (args: CommandArgs<C>, caller: unknown) => CommandResult<C> | Promise<CommandResult<C>> };
export type CoreListener = <E extends EventName>(event: E, data: Events[E]) => void;

export interface CoreOptions {
  /**
   * How long one read (a display filter, statistics, a part of an export) may run before it is stopped; default
   * 10 s, or STOMPSCOPE_READ_TIMEOUT_MS.
   */
  readTimeoutMs?: number;
  /** How many read workers at most (default 2). */
  readWorkers?: number;
}

/** How much of an export one read returns (each part is one time-limited read in the worker). */
const EXPORT_PART_BYTES = 256 * 1024;

export function readTimeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.STOMPSCOPE_READ_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : DEFAULT_READ_TIMEOUT_MS;
}

export class Core {
  private readonly reader: StoreReader;
  private readonly handlers: Handlers;
  private readonly listeners = new Set<CoreListener>();
  private readonly reads: ReadPool;
  private readonly proxies: ProxyManager | null;
  private readonly watcher: LiveWatcher;
  private readonly imports: ImportManager;
  private readonly captures: CaptureManager | null;
  private readonly exports: ExportManager;
  private readonly replays: ReplayManager | null;
  private readonly resends: ResendManager | null;

  constructor(readonly db: Db, opts: CoreOptions = {}) {
    this.reader = new StoreReader(db);
    const r = this.reader;
    const pool: ReadPoolOptions = { timeoutMs: opts.readTimeoutMs ?? readTimeoutFromEnv(), workers: opts.readWorkers };
    this.reads = new ReadPool(db.name, pool);
    this.proxies = db.name && db.name !== ':memory:' ? new ProxyManager(db.name, () => this.watcher.poll(), () => this.emit('sessions.changed', {}),
      (held) => this.emit('intercept.changed', { held })) : null;
    this.watcher = new LiveWatcher(db, (e) => this.emit('frames.appended', e), () => this.emit('sessions.changed', {}),
      () => this.proxies?.list().map((p) => p.session) ?? [], undefined, (e) => this.emit('issues.appended', e));
    this.imports = new ImportManager(db.name, (event, data) => this.emit(event, data), () => this.emit('sessions.changed', {}));
    this.captures = db.name && db.name !== ':memory:' ? new CaptureManager(db.name, () => this.emit('sessions.changed', {})) : null;
    this.exports = new ExportManager();
    this.replays = db.name && db.name !== ':memory:' ? new ReplayManager(db.name, (event, data) => this.emit(event, data)) : null;
    this.resends = db.name && db.name !== ':memory:' ? new ResendManager(db, this.reader, db.name, () => this.emit('sessions.changed', {}), this.proxies) : null;
    const s = {
      rename: db.prepare(`UPDATE sessions SET name = ? WHERE id = ?`),
      sessionState: db.prepare(`SELECT state FROM sessions WHERE id = ?`).pluck(),
    };
    const deleteSession = db.transaction((session: number) => {
      deleteRawFile(db.name, session);
      db.prepare(`DELETE FROM chunks WHERE connection_id IN (SELECT id FROM connections WHERE session_id = ?)`).run(session);
      db.prepare(`DELETE FROM heartbeats WHERE connection_id IN (SELECT id FROM connections WHERE session_id = ?)`).run(session);
      db.prepare(`DELETE FROM frames WHERE session_id = ?`).run(session);
      db.prepare(`DELETE FROM frame_rules WHERE session_id = ?`).run(session);
      db.prepare(`DELETE FROM issues WHERE session_id = ?`).run(session);
      db.prepare(`DELETE FROM links WHERE session_id = ?`).run(session);
      db.prepare(`DELETE FROM connections WHERE session_id = ?`).run(session);
      return db.prepare(`DELETE FROM sessions WHERE id = ?`).run(session).changes;
    });
    const needSession = (session: number) => {
      if (!r.hasSession(session)) throw new ApiError('not-found', `no session ${session}`);
    };
    // The read commands: each runs in a read worker (read/handlers.ts).
    const reads = Object.fromEntries(READ_COMMANDS.map((cmd) => [cmd, (args: unknown, caller: unknown) => this.reads.run(cmd, args, caller)]));

    this.handlers = {
      ...(reads as Pick<Handlers, (typeof READ_COMMANDS)[number]>),
      'sessions.rename': ({ session, name }) => {
        needSession(session);
        s.rename.run(name.trim(), session);
        this.emit('sessions.changed', {});
        // The session's counts are a read: done in a read worker like sessions.list.
        return (this.reads.run('sessions.list', {}) as Promise<CommandResult<'sessions.list'>>).then((list) => list.find((x) => x.session === session)!);
      },
      'sessions.delete': ({ session }) => {
        needSession(session);
        if (this.proxies?.isRunning(session) || s.sessionState.get(session) === 'recording') {
          throw new ApiError('conflict', `session ${session} is still recording; stop its proxy or capture first`);
        }
        this.reads.dropSession(session);
        const deleted = deleteSession(session) as number;
        this.emit('sessions.changed', {});
        return { deleted };
      },
      'filter.check': ({ filter }) => {
        const e = filterError(filter);
        return { error: e ? { message: e.message, start: e.start, end: e.end } : null };
      },
      'proxy.start': (o) => this.needProxies().start(o),
      'proxy.stop': async ({ session }) => ({ stopped: await this.needProxies().stop(session) }),
      'proxy.list': () => this.proxies?.list() ?? [],
      'proxy.rules': ({ session }) => this.needProxies().rulesOf(session),
      'proxy.setRules': ({ session, rules, holdTimeoutMs }) => this.needProxies().setRules(session, rules, holdTimeoutMs),
      'intercept.list': () => this.proxies?.heldFrames() ?? [],
      'intercept.decide': ({ id, do: what, frame }) => ({ decided: this.needProxies().decide(id, what, frame) }),
      'import.start': ({ upload, name, keylog }) => this.imports.start(upload, name, keylog),
      'capture.interfaces': () => this.needCaptures().interfaces(),
      'capture.start': (o) => this.needCaptures().start(o),
      'capture.stop': async ({ session }) => ({ stopped: await this.needCaptures().stop(session) }),
      'capture.list': () => this.captures?.list() ?? [],
      'session.export': ({ session, filter, revealSecrets, format }) => {
        needSession(session);
        return this.exports.ticket(session, filter, !!revealSecrets, format ?? 'jsonl');
      },
      'frame.resendDraft': ({ id }) => this.needResends().draft(id),
      'frame.resend': (o) => this.needResends().resend(o),
      'frame.inject': (o) => this.needResends().inject(o),
      'replay.start': (o) => {
        if (!this.replays) throw new ApiError('bad-request', 'this core has no database file to record into');
        return this.replays.start(o);
      },
    };
  }

  private needResends(): ResendManager {
    if (!this.resends) throw new ApiError('bad-request', 'this core has no database file to record into');
    return this.resends;
  }

  private needCaptures(): CaptureManager {
    if (!this.captures) throw new ApiError('bad-request', 'this core has no database file to record into');
    return this.captures;
  }

  private needProxies(): ProxyManager {
    if (!this.proxies) throw new ApiError('bad-request', 'this core has no database file to record into');
    return this.proxies;
  }

  static open(dbPath: string, opts: { nativeBinding?: string } & CoreOptions = {}): Core {
    return new Core(openDb(dbPath, { readonly: false, nativeBinding: opts.nativeBinding }), opts);
  }

  /**
   * Runs one command with untrusted arguments: validated here, whatever the transport. Validation errors are
   * thrown at once; commands that read or do I/O answer with a promise. `caller` identifies who asks (a host's
   * connection or window): a newer frames.query of the same caller cancels its older one still running.
   */
  invoke<C extends CommandName>(cmd: C, args: unknown, caller?: unknown): CommandResult<C> | Promise<CommandResult<C>> {
    const handler = this.handlers[cmd] as ((a: CommandArgs<C>, caller: unknown) => CommandResult<C> | Promise<CommandResult<C>>) | undefined;
    if (!handler) throw new ApiError('bad-request', `unknown command ${String(cmd)}`);
    return handler(validateArgs(cmd, args), caller);
  }

  /** Subscribes to the core's events (frames.appended, sessions.changed); returns the unsubscribe function. */
  onEvent(fn: CoreListener): () => void {
    this.listeners.add(fn);
    this.watcher.start();
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0) this.watcher.stop();
    };
  }

  emit<E extends EventName>(event: E, data: Events[E]): void {
    for (const fn of this.listeners) fn(event, data);
  }

  /**
   * For hosts only (never a command): a capture file the host received. `owned` files are temporary copies in a
   * directory of their own, removed after the import. Returns the id for `import.start`.
   */
  registerUpload(file: string, name: string, owned: boolean): string {
    return this.imports.register(file, name, owned);
  }

  /**
   * For hosts only: the content of an export ticket (single use): JSONL lines or pcapng blocks, read in parts by
   * a read worker (each part time-limited like any read); or null.
   */
  takeExport(ticket: string): AsyncGenerator<string | Uint8Array> | null {
    const spec = this.exports.take(ticket);
    return spec ? this.exportParts(spec) : null;
  }

  private async *exportParts(spec: InternalReads['export.open']['args']): AsyncGenerator<string | Uint8Array> {
    const { stream } = (await this.reads.run('export.open', spec)) as InternalReads['export.open']['result'];
    let done = false;
    try {
      while (!done) {
        const next = (await this.reads.run('export.next', { stream, maxBytes: EXPORT_PART_BYTES })) as InternalReads['export.next']['result'];
        done = next.done;
        yield* next.parts;
      }
    } finally {
      if (!done) await this.reads.run('export.close', { stream }).catch(() => {});
    }
  }

  /** For hosts only: the media type of an export ticket's content (before taking it), or null. */
  exportContentType(ticket: string): string | null {
    return this.exports.contentType(ticket);
  }

  /** Stops the proxies this core started (ending their sessions) and closes the database. */
  async close(): Promise<void> {
    this.watcher.stop();
    await this.proxies?.stopAll();
    await this.captures?.stopAll();
    await this.imports.settle();
    await this.replays?.settle();
    await this.reads.close();
    this.reader.close();
  }
}
