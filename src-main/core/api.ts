// The core's implementation of the shared API contract: each command written once, carried by every host.
import { ApiError, validateArgs, type CommandArgs, type CommandName, type CommandResult } from '../../shared/api.js';
import { openDb, type Db } from './store/db.js';
import { StoreReader } from './store/reader.js';
import { connectionJson, isoMicros, sessionJson } from './views/frame-json.js';

type Handlers = { [C in CommandName]: (args: CommandArgs<C>) => CommandResult<C> };

export class Core {
  private readonly reader: StoreReader;
  private readonly handlers: Handlers;

  constructor(db: Db) {
    this.reader = new StoreReader(db);
    const r = this.reader;
    const page = db.prepare(`SELECT id, connection_id, seq, dir, time, command, destination, length, issues FROM frames
      WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?`);
    this.handlers = {
      'sessions.list': () => r.sessions().map(sessionJson),
      'connections.list': ({ session }) => {
        if (!r.hasSession(session)) throw new ApiError('not-found', `no session ${session}`);
        return r.connections(session).map(connectionJson);
      },
      'frames.page': ({ session, after, limit }) =>
        (page.all(session, after, limit) as Array<Record<string, number | string | null>>).map((f) => ({
          id: f.id as number, connection: f.connection_id as number, seq: f.seq as number, from: f.dir === 0 ? 'client' : 'broker',
          time: isoMicros(f.time as number), command: f.command as string, destination: f.destination as string | null,
          size: f.length as number, issues: f.issues as number,
        })),
    };
  }

  static open(dbPath: string, opts: { nativeBinding?: string } = {}): Core {
    return new Core(openDb(dbPath, { readonly: false, nativeBinding: opts.nativeBinding }));
  }

  /** Runs one command with untrusted arguments: validated here, whatever the transport. */
  invoke<C extends CommandName>(cmd: C, args: unknown): CommandResult<C> {
    const handler = this.handlers[cmd] as ((a: CommandArgs<C>) => CommandResult<C>) | undefined;
    if (!handler) throw new ApiError('bad-request', `unknown command ${String(cmd)}`);
    return handler(validateArgs(cmd, args));
  }

  close(): void {
    this.reader.db.close();
  }
}
