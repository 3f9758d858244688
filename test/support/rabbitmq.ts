// A private RabbitMQ node for the integration tests: loopback only, free ports picked at run time, its own
// temp dir (mnesia, logs, HOME with a fresh .erlang.cookie), its own epmd on its own port. It never touches a
// system broker: the Debian wrapper /usr/sbin/rabbitmq-server is not used (it cd's to /var/lib/rabbitmq and
// su's to the rabbitmq user); we run the real script /usr/lib/rabbitmq/bin/rabbitmq-server with every path
// and port given through RabbitMQ 3.10's environment variables (see rabbit_env in rabbit_common and
// https://www.rabbitmq.com/configure.html#supported-environment-variables) and a new-style rabbitmq.conf
// (keys from the plugins' cuttlefish schemas: stomp.listeners.tcp.$name, stomp.default_user,
// web_stomp.tcp.ip / web_stomp.tcp.port, loopback_users).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync, chmodSync, mkdirSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const RABBITMQ_SCRIPT = process.env.STOMPSCOPE_RABBITMQ_SCRIPT ?? '/usr/lib/rabbitmq/bin/rabbitmq-server';

export interface RabbitOptions {
  /** How long to wait for the STOMP port to answer CONNECTED (default 60 s, env STOMPSCOPE_RABBITMQ_START_TIMEOUT_MS). */
  startTimeoutMs?: number;
  /** Keep the temp dir after stop (for post-mortems; env STOMPSCOPE_KEEP_BROKER_DIR=1). */
  keepDir?: boolean;
  /** Extra rabbitmq.conf lines. */
  extraConf?: string[];
  /** Listen on these ports instead of free ones: to start a node again where a stopped one was (broker restarts). */
  ports?: RabbitPorts;
}

export interface RabbitPorts {
  epmd: number;
  amqp: number;
  dist: number;
  stomp: number;
  webStomp: number;
}

export interface RabbitNode {
  host: string;
  stompPort: number;
  webStompPort: number;
  amqpPort: number;
  distPort: number;
  epmdPort: number;
  nodename: string;
  dir: string;
  /** PID of the real Erlang VM (beam.smp), not of the wrapper shell script. */
  beamPid: number;
  epmdPid: number;
  /** Milliseconds from spawn to the first CONNECTED on the STOMP port. */
  startupMs: number;
  logFile: string;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Free loopback ports, all held open at once so they are distinct, then released for the broker to take. */
export async function freePorts(count: number, host = HOST): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const s = net.createServer();
      servers.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, host, () => resolve());
      });
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill(0); count it as dead.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function waitDead(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await sleep(50);
  }
  return !alive(pid);
}

async function killAndWait(pid: number, graceMs: number): Promise<void> {
  if (!alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (await waitDead(pid, graceMs)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await waitDead(pid, 5_000);
}

function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (children) out.push(...children.split(/\s+/).map(Number));
    }
  } catch {
    /* process gone */
  }
  return out;
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** One real STOMP handshake: resolves true when the port answers CONNECTED to a CONNECT. */
export function stompHandshake(host: string, port: number, timeoutMs = 3_000): Promise<boolean> {
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    let done = false;
    const sock = net.connect({ host, port });
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (ok) sock.end('DISCONNECT\n\n\0');
      else sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('connect', () => sock.write('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0'));
    sock.on('data', (d) => {
      got = Buffer.concat([got, d]);
      const nul = got.indexOf(0);
      if (nul >= 0) finish(got.subarray(0, nul).toString('latin1').startsWith('CONNECTED\n'));
    });
    sock.on('error', () => finish(false));
    sock.on('close', () => finish(false));
  });
}

function waitListening(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const once = () =>
    new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
  return (async () => {
    while (Date.now() < deadline) {
      if (await once()) return true;
      await sleep(50);
    }
    return false;
  })();
}

export async function startRabbit(opts: RabbitOptions = {}): Promise<RabbitNode> {
  if (!existsSync(RABBITMQ_SCRIPT)) {
    throw new Error(
      `RabbitMQ is not installed (${RABBITMQ_SCRIPT} is missing): install Debian's rabbitmq-server ` +
        `(apt-get install rabbitmq-server); .ci/run does. Set STOMPSCOPE_NO_BROKER=1 to run the tests that need no broker.`,
    );
  }
  const epmdBin = ['/usr/bin/epmd', '/usr/lib/erlang/bin/epmd'].find((p) => existsSync(p));
  if (!epmdBin) throw new Error("epmd not found: install Debian's rabbitmq-server (it pulls in erlang-base); .ci/run does.");

  const startTimeoutMs = opts.startTimeoutMs ?? Number(process.env.STOMPSCOPE_RABBITMQ_START_TIMEOUT_MS ?? 60_000);
  const keepDir = opts.keepDir ?? process.env.STOMPSCOPE_KEEP_BROKER_DIR === '1';
  const [epmdPort, amqpPort, distPort, stompPort, webStompPort] = opts.ports
    ? [opts.ports.epmd, opts.ports.amqp, opts.ports.dist, opts.ports.stomp, opts.ports.webStomp]
    : await freePorts(5);
  const nodename = `stompscope-test-${process.pid}-${randomBytes(3).toString('hex')}@localhost`;

  const dir = mkdtempSync(path.join(tmpdir(), 'stompscope-rabbit-'));
  const p = (f: string) => path.join(dir, f);
  mkdirSync(p('home'));
  mkdirSync(p('conf.d'));
  // A fresh cookie, so this node can never be reached with a cookie from elsewhere (and never shares one).
  writeFileSync(p('home/.erlang.cookie'), randomBytes(16).toString('hex').toUpperCase());
  chmodSync(p('home/.erlang.cookie'), 0o400);
  // Empty env file: otherwise /etc/rabbitmq/rabbitmq-env.conf would be sourced by the start script.
  writeFileSync(p('rabbitmq-env.conf'), '# intentionally empty: tests set everything through the environment\n');
  writeFileSync(p('enabled_plugins'), '[rabbitmq_stomp,rabbitmq_web_stomp].\n');
  writeFileSync(
    p('rabbitmq.conf'),
    [
      'loopback_users = none',
      `listeners.tcp.default = ${HOST}:${amqpPort}`,
      `stomp.listeners.tcp.1 = ${HOST}:${stompPort}`,
      'stomp.default_user = guest',
      'stomp.default_pass = guest',
      `web_stomp.tcp.ip = ${HOST}`,
      `web_stomp.tcp.port = ${webStompPort}`,
      // permessage-deflate when a client offers it (the Web STOMP tests); clients that do not are unaffected.
      'web_stomp.ws_opts.compress = true',
      // Heart-beats: broker defaults (it honours what the client asks for in CONNECT).
      ...(opts.extraConf ?? []),
      '',
    ].join('\n'),
  );

  // Hermetic environment: drop anything RabbitMQ/Erlang-related inherited from the caller.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(RABBITMQ_|ERL_|ERLANG_)/.test(k)) env[k] = v;
  }
  Object.assign(env, {
    HOME: p('home'),
    RABBITMQ_CONF_ENV_FILE: p('rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: p('rabbitmq.conf'),
    RABBITMQ_CONFIG_FILES: p('conf.d'),
    RABBITMQ_ADVANCED_CONFIG_FILE: p('advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: p('enabled_plugins'),
    RABBITMQ_MNESIA_BASE: p('mnesia'),
    RABBITMQ_LOG_BASE: p('log'),
    RABBITMQ_LOGS: '-', // to stdout, i.e. our log file
    RABBITMQ_PID_FILE: p('rabbit.pid'),
    RABBITMQ_NODENAME: nodename,
    RABBITMQ_USE_LONGNAME: 'false',
    RABBITMQ_NODE_IP_ADDRESS: HOST,
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    // Erlang distribution listens on loopback only, and talks to our own epmd.
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: HOST,
  });

  const logFile = p('broker.log');
  const logFd = openSync(logFile, 'a');
  const t0 = Date.now();
  let epmd: ChildProcess | undefined;
  let script: ChildProcess | undefined;
  let beamPid = 0;

  const cleanup = async () => {
    if (beamPid) await killAndWait(beamPid, 20_000);
    if (script?.pid) await killAndWait(script.pid, 5_000);
    if (epmd?.pid) await killAndWait(epmd.pid, 5_000);
    if (!keepDir) rmSync(dir, { recursive: true, force: true });
  };

  try {
    // Our own epmd, in the foreground, so we own its PID (the VM would otherwise start `epmd -daemon`).
    epmd = spawn(epmdBin, ['-port', String(epmdPort), '-address', HOST], { env, stdio: ['ignore', logFd, logFd] });
    if (!(await waitListening(HOST, epmdPort, 10_000))) throw new Error(`epmd did not listen on ${HOST}:${epmdPort}`);

    script = spawn(RABBITMQ_SCRIPT, [], { env, cwd: dir, stdio: ['ignore', logFd, logFd] });
    let exited: string | null = null;
    script.once('exit', (code, sig) => (exited = `exit code ${code} signal ${sig}`));

    const deadline = t0 + startTimeoutMs;
    let ready = false;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`rabbitmq-server exited during startup (${exited})`);
      if (await stompHandshake(HOST, stompPort, 2_000)) {
        ready = true;
        break;
      }
      await sleep(250);
    }
    if (!ready) throw new Error(`RabbitMQ's STOMP port ${HOST}:${stompPort} did not answer CONNECTED within ${startTimeoutMs} ms`);

    // The real VM: the pid file RabbitMQ writes, else the beam.smp child of the start script.
    try {
      beamPid = Number(readFileSync(p('rabbit.pid'), 'utf8').trim());
    } catch {
      beamPid = childPids(script.pid!).find((c) => comm(c).startsWith('beam')) ?? 0;
    }
    if (!beamPid || !comm(beamPid).startsWith('beam')) throw new Error(`could not find the beam.smp process (got ${beamPid})`);
  } catch (err) {
    const log = tail(logFile);
    await cleanup();
    closeSync(logFd);
    throw new Error(`${(err as Error).message}\n--- broker log (tail) ---\n${log}`);
  }

  const startupMs = Date.now() - t0;
  let stopped: Promise<void> | null = null;
  return {
    host: HOST,
    stompPort,
    webStompPort,
    amqpPort,
    distPort,
    epmdPort,
    nodename,
    dir,
    beamPid,
    epmdPid: epmd!.pid!,
    startupMs,
    logFile,
    stop() {
      // SIGTERM to the VM is a clean shutdown (init:stop); the wrapper script then exits by itself.
      stopped ??= cleanup().finally(() => closeSync(logFd));
      return stopped;
    },
  };
}
