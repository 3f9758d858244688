// `stompscope capture --interface IFACE`: records STOMP live off an interface. Only carries core/capture/live.ts
// to a terminal: the one-line errors, the line per frame, and the summary at Ctrl-C / SIGTERM.
import path from 'node:path';
import { CAPTURE_ENGINES, LiveCapture, LiveCaptureError, listInterfaces, type CaptureEngine } from '../../core/capture/live.js';
import { GrowingKeyLog } from '../../core/capture/tls/keylog.js';
import { checkDbPath, defaultDbPath, openDb } from '../../core/store/db.js';
import { StoreWriter } from '../../core/store/writer.js';
import { PROFILE_NAMES } from '../../../shared/analysis/profiles.js';
import { noPositionals, parse, parseProfileOption, UsageError } from '../args.js';
import { stopSignal } from '../signals.js';

export const CAPTURE_HELP = `Usage: stompscope capture --interface IFACE [--port N]… [--filter BPF] [--db FILE] [--name NAME]
                         [--quiet] [--tls-keylog FILE] [--engine dumpcap|tcpdump] [--profile NAME]
       stompscope capture --list-interfaces [--engine dumpcap|tcpdump]

Records STOMP straight off a network interface, live, into a session of kind "capture",
for clients that cannot be pointed at the proxy. A capture engine (dumpcap, else tcpdump)
captures; StompScope reassembles TCP and finds the STOMP connections as an import does.
Frames are visible (stompscope frames, the UI) while the capture runs, and printed one
line each. Ctrl-C (SIGINT) or SIGTERM stops it, flushes the recording and prints a summary.

  --interface IFACE  the interface to capture on (lo, eth0, any, ...)
  --list-interfaces  list the interfaces and exit
  --port N           capture only these TCP ports (repeatable) and treat them as STOMP
                     besides 61613, 61614, 61612; default: all TCP, STOMP found by content
  --filter BPF       a capture filter of your own instead (e.g. "host 10.0.0.5 and tcp")
  --db FILE          database to record into (default: ${defaultDbPath()})
  --name NAME        session name (default: "capture on IFACE")
  --quiet            no line per frame
  --tls-keylog FILE  decrypt TLS connections with this key log (NSS format, SSLKEYLOGFILE),
                     read as it grows: the client may still be writing it
  --engine NAME      ${CAPTURE_ENGINES.join(' or ')} (default: the first installed)
  --profile NAME     broker profile for expert info: ${PROFILE_NAMES.join(', ')}

Capturing needs permission: root, or the wireshark group / CAP_NET_RAW for dumpcap.
Packets the kernel dropped and TCP gaps become issues of the session.`;

export async function captureCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    interface: { type: 'string', short: 'i' }, 'list-interfaces': { type: 'boolean' }, port: { type: 'string', multiple: true },
    filter: { type: 'string' }, db: { type: 'string' }, name: { type: 'string' }, quiet: { type: 'boolean', short: 'q' },
    'tls-keylog': { type: 'string' }, engine: { type: 'string' }, profile: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(CAPTURE_HELP + '\n');
    return 0;
  }
  noPositionals(positionals);
  const err = (line: string) => process.stderr.write(`stompscope capture: ${line}\n`);
  let engine: CaptureEngine | undefined;
  if (values.engine !== undefined) {
    if (!CAPTURE_ENGINES.includes(values.engine as CaptureEngine)) throw new UsageError(`--engine: '${values.engine}' is not ${CAPTURE_ENGINES.join(' or ')}`);
    engine = values.engine as CaptureEngine;
  }
  if (values['list-interfaces']) {
    try {
      const { interfaces } = listInterfaces(engine);
      for (const i of interfaces) process.stdout.write(`${i.name}${i.description ? `  (${i.description})` : ''}\n`);
      return 0;
    } catch (e) {
      if (!(e instanceof LiveCaptureError)) throw e;
      err(e.message);
      return 1;
    }
  }
  if (!values.interface) throw new UsageError('--interface IFACE is required (stompscope capture --list-interfaces lists them)');
  if (values.filter !== undefined && !values.filter.trim()) throw new UsageError('--filter: empty capture filter');
  const ports = (values.port ?? []).map((p) => {
    const n = Number(p);
    if (!/^\d+$/.test(p) || n < 1 || n > 65535) throw new UsageError(`--port: '${p}' is not a port number (1-65535)`);
    return n;
  });
  const profile = parseProfileOption(values.profile);
  const keyLogFile = values['tls-keylog'] !== undefined ? path.resolve(values['tls-keylog']) : undefined;
  const dbPath = path.resolve(values.db ?? defaultDbPath());
  checkDbPath(dbPath);
  const writer = new StoreWriter(openDb(dbPath));
  // Listening for Ctrl-C before the "capturing on" line is printed, so that a signal right after it stops cleanly.
  const stopped = stopSignal();
  let capture: LiveCapture;
  let ended: (reason: string) => void = () => {};
  const endedByEngine = new Promise<string>((r) => (ended = r));
  try {
    capture = await LiveCapture.start(writer, {
      interface: values.interface, filter: values.filter, ports, name: values.name, engine, profile,
      keyLog: keyLogFile ? new GrowingKeyLog(keyLogFile) : null, keyLogFile,
      onLines: values.quiet ? undefined : (text) => process.stdout.write(text),
      onEnded: (reason) => ended(reason),
    });
  } catch (e) {
    writer.close();
    if (!(e instanceof LiveCaptureError)) throw e;
    if (e.kind === 'filter') throw new UsageError(e.message);
    err(e.message);
    return 1;
  }
  err(`capturing on ${values.interface} with ${capture.engine} (filter "${capture.filter}"), recording session ${capture.sessionId} to ${dbPath}` +
    (keyLogFile ? `, TLS keys from ${keyLogFile}` : ''));
  const why = await Promise.race([stopped.then(() => null), endedByEngine]);
  if (why) err(why);
  try {
    const s = await capture.stop();
    for (const w of s.warnings) err(`warning: ${w}`);
    err(`session ${s.session}: ${s.packets} packets${s.dropped ? ` (${s.dropped} dropped)` : ''}, ${s.connections} connections, ` +
      `${s.frames} frames, ${s.issues} issues -> ${dbPath}`);
  } finally {
    writer.close();
  }
  return why ? 1 : 0;
}
