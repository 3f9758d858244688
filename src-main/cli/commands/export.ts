// `stompscope export`: carries core/export/ (pcapng, JSON lines, copy as code) to a file.
import { ApiError } from '../../../shared/api/index.js';
import { CODE_LANGUAGES, exportCode, type CodeLanguage } from '../../core/export/code.js';
import { checkOutPath, OutPathError, writeOutFile } from '../../core/export/out-file.js';
import { MSS, sessionPcapng, type PcapngExportStats } from '../../core/export/session-pcapng.js';
import { sessionJsonLines } from '../../core/jobs/exports.js';
import { defaultDbPath, openDb } from '../../core/store/db.js';
import { StoreReader } from '../../core/store/reader.js';
import { noPositionals, parse, parseId, parseSize, UsageError } from '../args.js';
import { DEFAULT_MAX_BODY, MAX_MAX_BODY } from '../../core/read/frame-json.js';

const FORMATS = ['pcapng', 'jsonl', ...CODE_LANGUAGES] as const;
type Format = (typeof FORMATS)[number];

export const EXPORT_HELP = `Usage: stompscope export --session ID --format pcapng|jsonl|stomp.py|stompjs --out FILE
                        [--db FILE] [--connection ID] [--frame ID] [--max-body N] [--reveal-secrets] [--force]

Writes a recorded session (or part of it) to FILE.

  --format pcapng     a capture Wireshark, tshark and 'stompscope import' read: each
                      connection as TCP with synthesized Ethernet/IP/TCP headers (the
                      recorded addresses and ports; handshake, FIN at close, segments of
                      at most ${MSS} bytes), stamped with the recorded frame and heart-beat times
  --format jsonl      the frames in the 'stompscope frames --jsonl' shape; a body longer than
                      --max-body N (bytes, or 64K, 16M; default ${DEFAULT_MAX_BODY / 1024 / 1024}M, at most ${MAX_MAX_BODY / 1024 / 1024}M) is cut
                      to it, and its row has "bodyTruncated": true
  --format stomp.py   copy as code: a Python script (stomp.py) that sends the client side
                      of --connection ID, or the one client frame --frame ID, to the
                      recorded broker (HOST and PORT at its top), waiting for the answers
                      the original got; ACK/NACK name the n-th MESSAGE of a subscription
  --format stompjs    the same as an ES module for @stomp/stompjs (TCP in Node, or set
                      BROKER_URL to a WebSocket URL)

  --db FILE           database to read (default: ${defaultDbPath()})
  --session ID        the session (optional with --connection or --frame)
  --connection ID     only this connection (pcapng, jsonl); the connection to copy as code
  --frame ID          copy this one client frame as code (after its connection's CONNECT)
  --out FILE          the file to write; written whole or not at all
  --force             replace FILE if it exists (a regular file; never a link)
  --reveal-secrets    keep login, passcode and token-like header values as recorded; by
                      default they are masked: in pcapng each value's bytes become '*'
                      (same length, so the frames still decode; the bytes then differ from
                      the wire), in code they become constants to fill in

Exit status 0 when written, 1 when it could not be written, 2 for a usage mistake.`;

export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    db: { type: 'string' }, session: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, connection: { type: 'string' },
    frame: { type: 'string' }, 'reveal-secrets': { type: 'boolean' }, force: { type: 'boolean' }, 'max-body': { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(EXPORT_HELP + '\n');
    return 0;
  }
  noPositionals(positionals);
  if (values.format === undefined) throw new UsageError(`--format: give one of ${FORMATS.join(', ')}`);
  if (!(FORMATS as readonly string[]).includes(values.format)) throw new UsageError(`--format: '${values.format}' is not one of ${FORMATS.join(', ')}`);
  const format = values.format as Format;
  const maxBody = parseSize(values['max-body'], '--max-body', MAX_MAX_BODY);
  if (maxBody !== undefined && format !== 'jsonl') throw new UsageError('--max-body: only with --format jsonl');
  if (values.out === undefined) throw new UsageError('--out: give the file to write');
  let session = parseId(values.session, '--session');
  const connection = parseId(values.connection, '--connection');
  const frame = parseId(values.frame, '--frame');
  const code = format === 'stomp.py' || format === 'stompjs';
  if (code) {
    if ((connection === null) === (frame === null)) throw new UsageError(`--format ${format}: give either --connection ID or --frame ID`);
  } else {
    if (frame !== null) throw new UsageError(`--frame: only with --format stomp.py or stompjs`);
    if (session === null && connection === null) throw new UsageError('--session: give the session to export');
  }
  const force = !!values.force;
  const reveal = !!values['reveal-secrets'];
  let file: string;
  try {
    file = checkOutPath(values.out, force);
  } catch (e) {
    if (e instanceof OutPathError) throw new UsageError(e.message);
    throw e;
  }

  const reader = new StoreReader(openDb(values.db ?? defaultDbPath(), { readonly: true }));
  try {
    if (session !== null && !reader.hasSession(session)) throw new UsageError(`--session: no session ${session} in the database`);
    if (connection !== null) {
      const c = reader.connection(connection);
      if (!c) throw new UsageError(`--connection: no connection ${connection} in the database`);
      if (session !== null && c.sessionId !== session) throw new UsageError(`--connection: connection ${connection} belongs to session ${c.sessionId}, not ${session}`);
      if (!code) session = c.sessionId;
    }
    const write = (chunks: Iterable<Uint8Array | string>): number => {
      try {
        return writeOutFile(file, chunks, force);
      } catch (e) {
        if (e instanceof OutPathError) throw new UsageError(e.message);
        const err = e as NodeJS.ErrnoException;
        if (err.code && err.syscall) {
          process.stderr.write(`stompscope export: cannot write ${file}: ${err.code} (${err.message.replace(/^[A-Z]+: /, '').split(',')[0]})\n`);
          return -1;
        }
        throw e;
      }
    };
    let summary: string;
    if (format === 'pcapng') {
      const stats: PcapngExportStats = { connections: 0, packets: 0, bytes: 0, missingBytes: 0 };
      const size = write(sessionPcapng(reader, session!, { connection, revealSecrets: reveal }, stats));
      if (size < 0) return 1;
      summary = `session ${session}: ${stats.connections} connection${stats.connections === 1 ? '' : 's'}, ${stats.packets} packets, ` +
        `${stats.bytes} payload bytes${stats.missingBytes ? ` (${stats.missingBytes} bytes not recorded, left as gaps)` : ''}` +
        `${reveal ? '' : ', credentials masked'} → ${file} (${size} bytes)`;
    } else if (format === 'jsonl') {
      let frames = 0;
      const lines = function* () {
        // The filter's `conn` is the connection's number within its session, not the id --connection takes.
        const only = connection !== null ? `conn == ${reader.connection(connection)!.number}` : '';
        for (const l of sessionJsonLines(reader.db.name, session!, only, reveal, maxBody)) {
          frames++;
          yield l;
        }
      };
      const size = write(lines());
      if (size < 0) return 1;
      summary = `session ${session}: ${frames} frames${reveal ? '' : ', credentials masked'} → ${file} (${size} bytes)`;
    } else {
      let out;
      try {
        out = exportCode(reader, frame !== null ? { frame } : { connection: connection! }, format as CodeLanguage, reveal);
      } catch (e) {
        if (e instanceof ApiError && e.code !== 'internal') throw new UsageError(`${frame !== null ? '--frame' : '--connection'}: ${e.message}`);
        throw e;
      }
      if (session !== null && out.session !== session) throw new UsageError(`--frame: frame ${frame} belongs to session ${out.session}, not ${session}`);
      const size = write([out.text]);
      if (size < 0) return 1;
      summary = `connection ${out.connection}: ${out.frames} client frame${out.frames === 1 ? '' : 's'} after CONNECT as ${format}` +
        `${reveal ? '' : ', credentials as constants to fill in'} → ${file}`;
    }
    process.stderr.write(summary + '\n');
    return 0;
  } finally {
    reader.close();
  }
}
