// A private ActiveMQ classic broker (Debian's `activemq` package, 5.17) for the integration tests: loopback
// only, a STOMP transport connector on a free port, its own temp dir (conf, data, tmp), no persistence, no JMX,
// no web console. It never touches a system broker: Debian's /usr/bin/activemq and its init script (which su to
// the activemq user and read /etc/activemq/instances-enabled) are not used; we run the JVM ourselves, in the
// foreground, with the system properties that script would pass (activemq.home/base/conf/data, see the
// `invoke_start` function of /usr/bin/activemq) and the module openings it adds for Java > 8. Stopped by the
// PID of that JVM (SIGTERM is a clean broker shutdown).
//
// Connector URI options: https://activemq.apache.org/stomp ("stomp://host:port"); broker XML schema:
// https://activemq.apache.org/xml-reference. ActiveMQ accepts any login when no authentication plugin is set.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts, stompHandshake } from './rabbitmq.js';

export const ACTIVEMQ_HOME = process.env.STOMPSCOPE_ACTIVEMQ_HOME ?? '/usr/share/activemq';
const JAVA = process.env.STOMPSCOPE_JAVA ?? '/usr/bin/java';

export interface ActiveMQNode {
  host: string;
  stompPort: number;
  dir: string;
  /** PID of the JVM running the broker. */
  pid: number;
  startupMs: number;
  logFile: string;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// What /usr/bin/activemq passes to a Java 9+ VM: ActiveMQ 5.17 reflects into these JDK packages.
const JAVA9_OPENS = [
  '--add-reads=java.xml=java.logging',
  ...['java.base/java.security', 'java.base/java.net', 'java.base/java.lang', 'java.base/java.util', 'java.naming/javax.naming.spi',
    'java.rmi/sun.rmi.transport.tcp', 'java.base/java.util.concurrent', 'java.base/java.util.concurrent.atomic'].flatMap((p) => ['--add-opens', `${p}=ALL-UNNAMED`]),
];

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

export interface ActiveMQOptions {
  startTimeoutMs?: number;
  keepDir?: boolean;
  /**
   * Logins the broker accepts (its simpleAuthenticationPlugin); others get an ERROR. Without it, any login is
   * accepted.
   */
  users?: Array<{ username: string; password: string }>;
}

export async function startActiveMQ(opts: ActiveMQOptions = {}): Promise<ActiveMQNode> {
  const jar = path.join(ACTIVEMQ_HOME, 'bin/activemq.jar');
  if (!existsSync(jar) || !existsSync(JAVA)) {
    throw new Error(`ActiveMQ is not installed (${jar} or ${JAVA} is missing): install Debian's activemq (apt-get install activemq); .ci/run does.`);
  }
  const startTimeoutMs = opts.startTimeoutMs ?? Number(process.env.STOMPSCOPE_ACTIVEMQ_START_TIMEOUT_MS ?? 60_000);
  const keepDir = opts.keepDir ?? process.env.STOMPSCOPE_KEEP_BROKER_DIR === '1';
  const [stompPort] = await freePorts(1);
  const dir = mkdtempSync(path.join(tmpdir(), 'stompscope-activemq-'));
  const p = (f: string) => path.join(dir, f);
  for (const d of ['conf', 'data', 'tmp']) mkdirSync(p(d));
  writeFileSync(
    p('conf/activemq.xml'),
    `<beans xmlns="http://www.springframework.org/schema/beans" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans.xsd
                      http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <!-- persistent=false: no KahaDB; useJmx=false: no RMI port; advisory topics off: fewer moving parts. -->
  <broker xmlns="http://activemq.apache.org/schema/core" brokerName="stompscope-test" persistent="false" useJmx="false"
          advisorySupport="false" dataDirectory="${xmlEscape(p('data'))}">
${
      opts.users
        ? `    <plugins>
      <simpleAuthenticationPlugin>
        <users>
${opts.users.map((u) => `          <authenticationUser username="${xmlEscape(u.username)}" password="${xmlEscape(u.password)}" groups="users"/>`).join('\n')}
        </users>
      </simpleAuthenticationPlugin>
    </plugins>
`
        : ''
    }    <transportConnectors>
      <transportConnector name="stomp" uri="stomp://${HOST}:${stompPort}"/>
    </transportConnectors>
  </broker>
</beans>
`,
  );
  // ActiveMQ 5.17's broker logs through log4j 1.2 APIs: without this it prints "No appenders could be found".
  writeFileSync(p('conf/log4j.properties'), 'log4j.rootLogger=WARN, out\nlog4j.appender.out=org.apache.log4j.ConsoleAppender\nlog4j.appender.out.layout=org.apache.log4j.PatternLayout\nlog4j.appender.out.layout.ConversionPattern=%d %-5p %c - %m%n\n');

  const logFile = p('broker.log');
  const logFd = openSync(logFile, 'a');
  const t0 = Date.now();
  let child: ChildProcess | undefined;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(ACTIVEMQ_|JAVA_OPTS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS)/.test(k)) env[k] = v;

  // If the test process dies without stopping the broker, still kill the JVM (synchronously: we can only signal).
  const onExit = () => child?.kill('SIGKILL');
  process.once('exit', onExit);
  const stop = async () => {
    process.removeListener('exit', onExit);
    const pid = child?.pid;
    if (pid && child!.exitCode === null && child!.signalCode === null) {
      const exited = new Promise<void>((r) => child!.once('exit', () => r()));
      child!.kill('SIGTERM');
      const t = setTimeout(() => child!.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    }
    if (!keepDir) rmSync(dir, { recursive: true, force: true });
  };

  try {
    child = spawn(
      JAVA,
      [
        '-Xms64M', '-Xmx256M', ...JAVA9_OPENS,
        `-Dactivemq.classpath=${p('conf')}:${ACTIVEMQ_HOME}/lib/`,
        `-Dactivemq.home=${ACTIVEMQ_HOME}`, `-Dactivemq.base=${dir}`, `-Dactivemq.conf=${p('conf')}`, `-Dactivemq.data=${p('data')}`,
        `-Djava.io.tmpdir=${p('tmp')}`, `-Dlog4j.configuration=file:${p('conf/log4j.properties')}`,
        '-jar', path.join(ACTIVEMQ_HOME, 'bin/activemq.jar'), 'start', `xbean:file:${p('conf/activemq.xml')}`,
      ],
      { env, cwd: dir, stdio: ['ignore', logFd, logFd] },
    );
    let exited: string | null = null;
    child.once('exit', (code, sig) => (exited = `exit code ${code} signal ${sig}`));
    const deadline = t0 + startTimeoutMs;
    let ready = false;
    while (Date.now() < deadline) {
      if (exited) throw new Error(`ActiveMQ exited during startup (${exited})`);
      if (await stompHandshake(HOST, stompPort, 2_000)) {
        ready = true;
        break;
      }
      await sleep(200);
    }
    if (!ready) throw new Error(`ActiveMQ's STOMP port ${HOST}:${stompPort} did not answer CONNECTED within ${startTimeoutMs} ms`);
  } catch (err) {
    let log = '';
    try {
      log = readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
    } catch {
      /* no log */
    }
    await stop();
    closeSync(logFd);
    throw new Error(`${(err as Error).message}\n--- broker log (tail) ---\n${log}`);
  }

  let stopped: Promise<void> | null = null;
  return {
    host: HOST,
    stompPort,
    dir,
    pid: child.pid!,
    startupMs: Date.now() - t0,
    logFile,
    stop() {
      stopped ??= stop().finally(() => closeSync(logFd));
      return stopped;
    },
  };
}
