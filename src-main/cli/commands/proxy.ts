import path from 'node:path';
import { checkDbPath, defaultDbPath } from '../../core/store/db.js';
import { isLoopbackHost, parseUpstream, startRecordingProxy, type RecordingProxy } from '../../core/jobs/proxies.js';
import { ApiError } from '../../../shared/api/index.js';
import { noPositionals, parse, parseEndpoint, parseProfileOption, UsageError } from '../args.js';
import { stopSignal } from '../signals.js';
import { readPemFile, readServerTls } from '../pem.js';
import { PROFILE_NAMES } from '../../../shared/analysis/profiles.js';
import { readRulesFile, watchRulesFile } from '../../core/rules/rules-file.js';
import { ProxyRules } from '../../core/proxy/rules-engine.js';

export const DEFAULT_LISTEN_PORT = 61623;

export const PROXY_HELP = `Usage: stompscope proxy --upstream HOST:PORT [--listen HOST:PORT] [options]

Runs a transparent recording proxy: point your STOMP client at the listen address
instead of the broker. Every byte is forwarded unchanged; every frame is recorded.

  --upstream HOST:PORT   the broker to forward to (port defaults to 61613)
  --upstream ws://HOST:PORT/PATH, wss://HOST:PORT/PATH
                         a broker's STOMP over WebSocket (or SockJS) endpoint; wss://
                         is TLS to the broker (--ca, --insecure apply). The client's
                         HTTP upgrade is forwarded as it is: point WebSocket clients
                         at ws://LISTEN/PATH, with the same PATH
  --listen HOST:PORT     where clients connect (default 127.0.0.1:${DEFAULT_LISTEN_PORT});
                         PORT alone listens on 127.0.0.1; 0 picks a free port
  --allow-remote         allow a listen address other than loopback
  --db FILE              database to record into (default: ${defaultDbPath()})
  --name NAME            session name (default: "proxy to <upstream>")
  --quiet                no line per frame
  --upstream-tls         connect to the broker with TLS
  --ca FILE              trust this CA (PEM) for --upstream-tls
  --insecure             accept any broker certificate (testing only)
  --tls-cert FILE        accept TLS from clients with this certificate (PEM) ...
  --tls-key FILE         ... and this key (PEM)
  --profile NAME         broker profile for expert info: ${PROFILE_NAMES.join(', ')}
                         (default: detected from CONNECTED's server header)
  --rules FILE           act on matching frames: delay, drop, rewrite, answer, close...
                         (a JSON array of rules; see the README, and scenarios/)
  --rules-watch          reload --rules FILE when it changes (a bad version keeps the
                         rules in force, and says why)

Ctrl-C (SIGINT) or SIGTERM stops the proxy, flushes the recording and prints a summary.`;

export async function proxyCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    listen: { type: 'string' }, upstream: { type: 'string' }, db: { type: 'string' }, name: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' }, 'allow-remote': { type: 'boolean' }, 'upstream-tls': { type: 'boolean' },
    ca: { type: 'string' }, insecure: { type: 'boolean' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' },
    profile: { type: 'string' }, rules: { type: 'string' }, 'rules-watch': { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(PROXY_HELP + '\n');
    return 0;
  }
  noPositionals(positionals);
  if (!values.upstream) throw new UsageError('--upstream HOST:PORT is required (the broker to forward to)');
  // The options are checked here in the command line's words (naming the flag); the proxy itself is started by
  // the same core operation as a proxy started from the UI, which checks them again.
  const upstream = cli(() => parseUpstream(values.upstream!, '--upstream', (t) => parseEndpoint(t, '--upstream', '127.0.0.1', 61613)));
  const ws = upstream.ws;
  if (ws && !ws.secure && values['upstream-tls']) throw new UsageError('--upstream-tls with a ws:// upstream: write wss:// for TLS to the broker');
  const upstreamTls = !!values['upstream-tls'] || !!ws?.secure;
  const listen = parseEndpoint(values.listen ?? String(DEFAULT_LISTEN_PORT), '--listen', '127.0.0.1');
  if (!isLoopbackHost(listen.host) && !values['allow-remote']) {
    throw new UsageError(`--listen ${listen.host}: not a loopback address; add --allow-remote to accept connections from other machines`);
  }
  if ((values.ca || values.insecure) && !upstreamTls) throw new UsageError('--ca and --insecure need --upstream-tls');
  if (!!values['tls-cert'] !== !!values['tls-key']) throw new UsageError('--tls-cert and --tls-key go together');
  const ca = values.ca ? readPemFile(values.ca, '--ca', 'certificate') : undefined;
  const serverTls = values['tls-cert'] ? readServerTls(values['tls-cert'], values['tls-key']!) : null;
  const profile = parseProfileOption(values.profile);
  const dbPath = path.resolve(values.db ?? defaultDbPath());
  const err = (line: string) => process.stderr.write(`stompscope: ${line}\n`);
  if (values['rules-watch'] && !values.rules) throw new UsageError('--rules-watch needs --rules FILE');
  // Rules cut the bytes as STOMP frames: inside WebSocket framing they would never find one.
  if (values.rules && ws) throw new UsageError('--rules: rules act on plain STOMP over TCP or TLS, not on a ws:// or wss:// upstream');
  const rules = new ProxyRules({ notice: (m) => err(m) });
  if (values.rules) {
    const check = readRulesFile(values.rules);
    if (check.errors.length) {
      throw new UsageError(`--rules: ${check.errors[0]}${check.errors.length > 1 ? ` (and ${check.errors.length - 1} more)` : ''}`);
    }
    for (const w of check.warnings) err(`warning: --rules: ${w}`);
    rules.set(check.rules);
  }

  if (!isLoopbackHost(listen.host)) err(`warning: listening on ${listen.host}: anyone who can reach this machine can use the proxy`);

  checkDbPath(dbPath);
  // Listening for Ctrl-C from before the "listening on" line: a SIGINT sent as soon as that line is read must stop
  // the proxy cleanly (with its summary), not meet Node's default action and kill it.
  const stopped = stopSignal();
  let started: RecordingProxy;
  try {
    started = await startRecordingProxy({
      dbPath, listen, upstream, upstreamTls, ca, insecure: !!values.insecure, serverTls, name: values.name, profile,
      startedBy: 'cli', allowRemote: !!values['allow-remote'], rules,
      onLines: values.quiet ? undefined : (text) => process.stdout.write(text),
      onWarning: (m) => err(`warning: ${m}`),
      onNotice: (m) => err(m),
    });
  } catch (e) {
    if (e instanceof ApiError) {
      if (e.code === 'conflict') throw new UsageError(`--listen: ${e.message}`);
      throw new UsageError(e.message);
    }
    // The recorder opens the database in its worker: a file that is not ours, a locked or unwritable one.
    err(`cannot record into ${dbPath}: ${(e as Error).message.split('\n')[0]}`);
    return 1;
  }
  const { proxy, recorder } = started;
  err(`proxy listening on ${started.listen}, upstream ${started.upstream}${started.upstreamTls ? ' (TLS)' : ''}, ` +
    `recording session ${recorder.sessionId} to ${dbPath}`);
  if (ws) err(`WebSocket clients connect to ${serverTls ? 'wss' : 'ws'}://${started.listen}${ws.path}`);
  if (values.rules) err(`${rules.rules.length} rule${rules.rules.length === 1 ? '' : 's'} from ${values.rules}${values['rules-watch'] ? ' (reloaded when it changes)' : ''}`);
  const file = values.rules;
  const unwatch = file && values['rules-watch'] ? watchRulesFile(file, () => {
    const check = readRulesFile(file);
    if (check.errors.length) {
      err(`rules not reloaded, the ${rules.rules.length} rules in force stay: ${check.errors[0]}`);
      return;
    }
    for (const w of check.warnings) err(`warning: --rules: ${w}`);
    rules.set(check.rules);
    err(`rules reloaded from ${file}: ${check.rules.length} rule${check.rules.length === 1 ? '' : 's'}`);
  }) : null;

  await stopped;
  unwatch?.();
  await proxy.stop();
  const s = await recorder.end('complete');
  const shed = recorder.shedBytes ? `, ${recorder.shedBytes} bytes forwarded but not recorded` : '';
  err(`session ${s.session}: ${s.connections} connections, ${s.frames} frames, ${s.heartbeats} heart-beats, ${s.issues} issues, ` +
    `${s.bytes} bytes${shed} -> ${dbPath}`);
  return 0;
}

/** Runs a core check, its ApiError said as a usage error (one line, exit status 2). */
function cli<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ApiError) throw new UsageError(e.message);
    throw e;
  }
}
