// `stompscope replay`: carries core/replay to a terminal.
import fs from 'node:fs';
import path from 'node:path';
import { defaultDbPath } from '../../core/store/db.js';
import { MAX_TIMER_MS, ReplayError, ReplayRefused, replayConnection, type ReplayFinding } from '../../core/replay/replay.js';
import { noPositionals, parse, parseEndpoint, parseId, UsageError } from '../args.js';
import { readPemFile } from '../pem.js';

export const REPLAY_HELP = `Usage: stompscope replay --connection ID --target HOST:PORT [options]

Replays the client side of a recorded connection (proxied or imported) against a
broker, and records the replay as a new session (kind "replay") linked to the
original. Frames go in recorded order; where the original had received a
CONNECTED, RECEIPT or MESSAGE before its next frame, the replay waits for the
corresponding answer (same receipt id; n-th MESSAGE of the subscription). ACK and
NACK are re-pointed at the n-th MESSAGE the replay received on that subscription.

  --db FILE                 database to read and record into (default: ${defaultDbPath()})
  --connection ID           the recorded connection to replay
  --target HOST:PORT        the broker to replay against (port defaults to 61613)
  --target-tls              connect with TLS
  --ca FILE                 trust this CA (PEM) for --target-tls
  --insecure                accept any certificate (testing only)
  --speed N                 recorded pauses divided by N (default 1)
  --as-fast-as-possible     no pauses (waits for answers are kept)
  --login L                 login to send instead of the recorded one
  --passcode P              passcode to send (required when the recorded one is masked)
  --map-destination FROM=TO send to TO where the recording has destination FROM (repeatable)
  --until SEQ               stop after the client frame with this seq
  --timeout MS              longest wait for one answer (default 10000, at most 2147483647)
  --name NAME               name of the replay session
  --json                    print {session, connection, sent, received, findings:[{code,message,seq}]}

Exit status 0 when the replay ran (findings are reported, not failures), 1 when it
could not start (target unreachable), 2 for a usage mistake.`;


function positiveNumber(value: string, flag: string, integer = false): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag}: '${value}' is not a positive ${integer ? 'integer' : 'number'}`);
  }
  return n;
}

export function parseDestinationMap(values: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0 || i === v.length - 1) throw new UsageError(`--map-destination: '${v}' is not FROM=TO`);
    const from = v.slice(0, i);
    const to = v.slice(i + 1);
    if (/[\r\n\0]/.test(v)) throw new UsageError('--map-destination: a destination cannot contain a line break or NUL');
    if (map.has(from)) throw new UsageError(`--map-destination: '${from}' is mapped twice`);
    map.set(from, to);
  }
  return map;
}

function findingLine(f: ReplayFinding): string {
  // The frame's number in the original session first (as `frames` and the UI show it), its seq in the connection after.
  return `  ${f.severity.padEnd(7)} ${f.code}${f.seq !== null ? ` (${f.number != null ? `frame ${f.number}, ` : ''}seq ${f.seq})` : ''}: ${f.message}`;
}

export async function replayCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    db: { type: 'string' }, connection: { type: 'string' }, target: { type: 'string' }, 'target-tls': { type: 'boolean' },
    ca: { type: 'string' }, insecure: { type: 'boolean' }, speed: { type: 'string' }, 'as-fast-as-possible': { type: 'boolean' },
    login: { type: 'string' }, passcode: { type: 'string' }, 'map-destination': { type: 'string', multiple: true },
    until: { type: 'string' }, timeout: { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(REPLAY_HELP + '\n');
    return 0;
  }
  noPositionals(positionals);
  const connection = parseId(values.connection, '--connection');
  if (connection === null) throw new UsageError('--connection ID is required (see `stompscope connections`)');
  if (!values.target) throw new UsageError('--target HOST:PORT is required (the broker to replay against)');
  const target = parseEndpoint(values.target, '--target', '127.0.0.1', 61613);
  if ((values.ca || values.insecure) && !values['target-tls']) throw new UsageError('--ca and --insecure need --target-tls');
  if (values.ca && values.insecure) throw new UsageError('--ca and --insecure exclude each other');
  if (values.speed !== undefined && values['as-fast-as-possible']) throw new UsageError('--speed and --as-fast-as-possible exclude each other');
  const speed = values['as-fast-as-possible'] ? null : values.speed === undefined ? 1 : positiveNumber(values.speed, '--speed');
  const until = parseId(values.until, '--until');
  const timeoutMs = values.timeout === undefined ? 10_000 : positiveNumber(values.timeout, '--timeout', true);
  if (timeoutMs > MAX_TIMER_MS) throw new UsageError(`--timeout: '${values.timeout}' is more than ${MAX_TIMER_MS} ms (about 24.8 days), the longest wait a timer takes`);
  const mapDestination = parseDestinationMap(values['map-destination'] ?? []);
  const tls = values['target-tls'] ? { ca: values.ca ? readPemFile(values.ca, '--ca', 'certificate') : undefined, insecure: !!values.insecure } : null;
  const dbPath = path.resolve(values.db ?? defaultDbPath());
  if (!fs.existsSync(dbPath)) throw new UsageError(`--db: no database at ${dbPath}`);

  let r;
  try {
    r = await replayConnection({
      dbPath, connection, target, tls, speed, until, timeoutMs, mapDestination,
      login: values.login, passcode: values.passcode, name: values.name,
    });
  } catch (e) {
    if (e instanceof ReplayRefused) throw new UsageError(e.message);
    if (e instanceof ReplayError) {
      process.stderr.write(`stompscope replay: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  if (values.json) {
    process.stdout.write(JSON.stringify({
      session: r.session, connection: r.connection, sent: r.sent, received: r.received, version: r.version,
      findings: r.findings.map((f) => ({ code: f.code, severity: f.severity, message: f.message, seq: f.seq, number: f.number ?? null })),
    }) + '\n');
  } else {
    process.stdout.write(`replay of connection ${connection}: session ${r.session}, connection ${r.connection ?? '?'}, ` +
      `STOMP ${r.version ?? '?'}, ${r.sent} frames sent, ${r.received} received, ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}\n`);
    for (const f of r.findings) process.stdout.write(findingLine(f) + '\n');
  }
  return 0;
}
