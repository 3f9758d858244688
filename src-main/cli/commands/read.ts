// The read commands: sessions, connections, frames. They open the database read-only, so they can run while
// a proxy is recording into it.
import { openDb, defaultDbPath } from '../../core/store/db.js';
import { StoreReader, type ConnectionInfo } from '../../core/store/reader.js';
import { connectionJson, DEFAULT_MAX_BODY, frameJson, isoMicros, MAX_MAX_BODY, sessionJson } from '../../core/read/frame-json.js';
import { storedHandshake } from '../../../shared/websocket/handshake.js';
import { interpretHeaders, headerValue } from '../../../shared/stomp/escape.js';
import { noPositionals, parse, parseId, parseSize, UsageError } from '../args.js';
import { LineOutput } from '../output.js';
import { ApiError } from '../../../shared/api/index.js';
import { filteredFrames } from '../../core/read/query/filtered-frames.js';

export const SESSIONS_HELP = `Usage: stompscope sessions [--db FILE] [--jsonl]

Lists the recorded sessions (proxy runs and imported captures).

  --db FILE   database to read (default: ${defaultDbPath()})
  --jsonl     one JSON object per line: session, kind, name, started, ended,
              state, connections, frames`;

export const CONNECTIONS_HELP = `Usage: stompscope connections [--db FILE] [--session ID] [--jsonl]

Lists TCP connections with their negotiated STOMP version and counts: the id (what
--connection takes elsewhere), then the session and the connection's number in it (#k).

  --db FILE      database to read (default: ${defaultDbPath()})
  --session ID   only this session's connections
  --jsonl        one JSON object per line: session, connection (the id), number (1..k
                 within the session), client, broker, version, opened, closed, frames,
                 heartbeats, issues`;

export const FRAMES_HELP = `Usage: stompscope frames [--db FILE] [--session ID] [--connection ID] [--filter EXPR] [--jsonl] [--body base64] [--max-body N] [--reveal-secrets]

Prints STOMP frames in capture order: each frame's number within its session (1..N), time, its
connection's number in the session (#k), seq in the connection, direction, command. Credentials (passcode, login and token-like headers) are masked
in --jsonl output unless --reveal-secrets is given.

  --db FILE         database to read (default: ${defaultDbPath()})
  --session ID      only this session's frames
  --connection ID   only this connection's frames (its id, as \`stompscope connections\` lists it)
  --filter EXPR     only frames matching a display filter, e.g.
                    'command == "SEND" and destination contains "orders"',
                    'header["content-type"] == "application/json"', 'body contains "42"',
                    'from == broker', 'conn == 3', 'no >= 10', 'size > 1024', 'issue', 'not (...)'
                    (no / frame.number and conn are numbers within the session)
  --jsonl           one JSON object per line: session, number (1..N within the session),
                    connection (its id), connectionNumber (#k), seq, from, time,
                    command, headers, bodyLength, bodySha256, body, issues
  --body base64     with --jsonl, add bodyBase64 (the whole body, base64)
  --max-body N      with --jsonl, print at most N bytes of a body (bytes, or 64K, 16M;
                    default ${DEFAULT_MAX_BODY / 1024 / 1024}M, at most ${MAX_MAX_BODY / 1024 / 1024}M): a longer body is cut, and its row
                    has "bodyTruncated": true (bodyLength and bodySha256 stay the whole body's)
  --reveal-secrets  print credentials as recorded`;

function open(dbFlag: string | undefined): StoreReader {
  return new StoreReader(openDb(dbFlag ?? defaultDbPath(), { readonly: true }));
}

export async function sessionsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { db: { type: 'string' }, jsonl: { type: 'boolean' } });
  if (values.help) return help(SESSIONS_HELP);
  noPositionals(positionals);
  const reader = open(values.db);
  const out = new LineOutput();
  for (const s of reader.sessions()) {
    if (values.jsonl) await out.line(JSON.stringify(sessionJson(s)));
    else {
      await out.line(`${String(s.id).padStart(4)}  ${s.kind.padEnd(6)}  ${isoMicros(s.started)}  ${s.state.padEnd(11)}  ` +
        `${String(s.connections).padStart(5)} conn  ${String(s.frames).padStart(8)} frames  ${s.name}`);
    }
  }
  await out.flush();
  return 0;
}

export async function connectionsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { db: { type: 'string' }, session: { type: 'string' }, jsonl: { type: 'boolean' } });
  if (values.help) return help(CONNECTIONS_HELP);
  noPositionals(positionals);
  const session = parseId(values.session, '--session');
  const reader = open(values.db);
  if (session !== null && !reader.hasSession(session)) throw new UsageError(`--session: no session ${session} in the database`);
  const out = new LineOutput();
  for (const c of reader.connections(session)) {
    if (values.jsonl) await out.line(JSON.stringify(connectionJson(c)));
    else {
      // WebSocket / SockJS: the path and subprotocol of the upgrade beside the transport.
      const h = storedHandshake(c.handshake);
      const ws = h ? ` ${h.request?.target ?? '?'} ${h.subprotocol ?? 'no-subprotocol'}${h.deflate ? ' deflate' : ''}` : '';
      // The id (what --connection takes), then the session and the connection's number in it (`#k`, as the UI shows it).
      await out.line(`${String(c.id).padStart(5)}  s${c.sessionId} #${c.number}  ${c.client} → ${c.broker}  ${c.transport}${ws}  STOMP ${c.version ?? '?'}  ` +
        `frames ${c.frames.client}/${c.frames.broker}  heart-beats ${c.heartbeats.client}/${c.heartbeats.broker}  issues ${c.issues}` +
        (c.closeReason ? `  (${c.closeReason})` : ''));
    }
  }
  await out.flush();
  return 0;
}

export async function framesCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    db: { type: 'string' }, session: { type: 'string' }, connection: { type: 'string' }, jsonl: { type: 'boolean' }, body: { type: 'string' },
    filter: { type: 'string' }, 'reveal-secrets': { type: 'boolean' }, 'max-body': { type: 'string' },
  });
  if (values.help) return help(FRAMES_HELP);
  noPositionals(positionals);
  if (values.body !== undefined && values.body !== 'base64') throw new UsageError(`--body: expected 'base64', got '${values.body}'`);
  const maxBody = parseSize(values['max-body'], '--max-body', MAX_MAX_BODY);
  const session = parseId(values.session, '--session');
  const connection = parseId(values.connection, '--connection');
  const reader = open(values.db);
  if (session !== null && !reader.hasSession(session)) throw new UsageError(`--session: no session ${session} in the database`);
  if (connection !== null && !reader.connection(connection)) throw new UsageError(`--connection: no connection ${connection} in the database`);
  const conns = new Map<number, ConnectionInfo | null>();
  const connOf = (id: number) => {
    if (!conns.has(id)) conns.set(id, reader.connection(id));
    return conns.get(id)!;
  };
  let frames: ReturnType<StoreReader['frames']>;
  try {
    frames = values.filter !== undefined ? filteredFrames(reader, values.filter, { session, connection }) : reader.frames({ session, connection });
  } catch (e) {
    if (e instanceof ApiError && e.code === 'bad-filter') throw new UsageError(`--filter: ${e.detail?.message ?? e.message}\n  ${values.filter}\n  ${' '.repeat(e.detail?.start ?? 0)}^`);
    throw e;
  }
  const out = new LineOutput();
  for (const f of frames) {
    if (out.closed) break;
    if (values.jsonl) {
      await out.line(JSON.stringify(frameJson(reader, f, connOf(f.connectionId), { base64: values.body === 'base64', maskSecrets: !values['reveal-secrets'], maxBody })));
    } else {
      const { headers } = interpretHeaders(f.command, f.rawHeaders, connOf(f.connectionId)?.version ?? '1.0');
      const info = f.destination ?? headerValue(headers, 'receipt-id') ?? headerValue(headers, 'receipt') ?? headerValue(headers, 'message') ?? '';
      const arrow = f.from === 'client' ? 'c→b' : 'c←b';
      const flag = (f.injected ? '  (injected)' : '') + (f.issues.length ? `  [${f.issues.map((i) => i.code).join(', ')}]` : '');
      // The frame's number and its connection's (`#k`) within the session, as the UI shows them.
      await out.line(`${String(f.number).padStart(6)}  ${isoMicros(f.time)}  #${connOf(f.connectionId)?.number ?? '?'}  ${String(f.seq).padStart(5)}  ${arrow}  ${f.command.padEnd(11)}  ${info}  ${f.length} B${flag}`);
    }
  }
  await out.flush();
  return 0;
}

function help(text: string): number {
  process.stdout.write(text + '\n');
  return 0;
}
