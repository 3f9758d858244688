// Vitest globalSetup: one private RabbitMQ node (test/support/rabbitmq.ts) for the whole run, handed to the
// tests with provide/inject. Tests get it with `inject('rabbitmq')`.
//
// The broker is started only when a selected test file asks for it (its source contains the text
// `inject('rabbitmq')`), so `npx vitest run test/shared` costs no broker start. STOMPSCOPE_NO_BROKER=1 never
// starts it (tests that need it then skip themselves).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startRabbit, type RabbitNode } from './rabbitmq.js';

export interface ProvidedRabbit {
  host: string;
  stompPort: number;
  webStompPort: number;
  amqpPort: number;
  nodename: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The shared RabbitMQ node, or null when no selected test needs it or STOMPSCOPE_NO_BROKER=1. */
    rabbitmq: ProvidedRabbit | null;
  }
}

const MARKER = "inject('rabbitmq')";

async function selectedFilesNeedBroker(project: TestProject): Promise<boolean> {
  try {
    if (project.vitest.config.watch) return true; // files can change later; just start it
    // The CLI's file filters: vitest keeps them in `filenamePattern` (internal, set before global setups run).
    const v = project.vitest as unknown as { filenamePattern?: string[] };
    const filters = v.filenamePattern ?? project.vitest.config.filters ?? [];
    const { testFiles } = await project.globTestFiles(filters);
    return testFiles.some((f) => {
      try {
        return readFileSync(f, 'utf8').includes(MARKER);
      } catch {
        return true;
      }
    });
  } catch {
    return true; // when in doubt, start it
  }
}

/**
 * The Debian packages the suite uses (scripts/system-deps.sh holds the list). On a fresh machine `npm test` installs
 * the missing ones when it runs as root with apt (as CI does), and otherwise stops at once with the one command
 * that installs them, instead of failing test by test minutes later. STOMPSCOPE_SKIP_SYSTEM_DEPS=1 skips the check.
 */
function ensureSystemPackages(root: string): void {
  if (process.env.STOMPSCOPE_SKIP_SYSTEM_DEPS === '1') return;
  const script = `${root}/scripts/system-deps.sh`;
  const check = spawnSync('bash', [script, '--check'], { encoding: 'utf8' });
  if (check.error || check.status === 0) return;
  const missing = check.stdout.trim();
  if (spawnSync('dpkg-query', ['--version']).error) {
    console.warn(`[global-setup] not a Debian system: cannot check the system packages the tests use (${missing})`);
    return;
  }
  const canInstall = process.getuid?.() === 0 && !spawnSync('apt-get', ['--version']).error;
  if (!canInstall) {
    throw new Error(`missing system packages: ${missing}. Install them with: sudo bash scripts/system-deps.sh --install`);
  }
  console.log(`[global-setup] installing missing system packages: ${missing}`);
  const install = spawnSync('bash', [script, '--install'], { stdio: 'inherit' });
  if (install.status !== 0) {
    throw new Error(`installing ${missing} failed (exit ${install.status}): run sudo bash scripts/system-deps.sh --install`);
  }
}

export default async function setup(project: TestProject) {
  ensureSystemPackages(project.config.root);
  let node: RabbitNode | null = null;
  if (process.env.STOMPSCOPE_NO_BROKER === '1') {
    console.log('[global-setup] STOMPSCOPE_NO_BROKER=1: not starting RabbitMQ');
  } else if (!(await selectedFilesNeedBroker(project))) {
    console.log('[global-setup] no selected test file needs RabbitMQ: not starting it');
  } else {
    node = await startRabbit();
    console.log(
      `[global-setup] RabbitMQ ${node.nodename} up in ${node.startupMs} ms: STOMP ${node.host}:${node.stompPort}, ` +
        `Web STOMP ${node.webStompPort}, beam pid ${node.beamPid}`,
    );
  }
  // If vitest dies without running the teardown, still stop the VM (synchronously: we only can signal).
  const onExit = () => {
    if (node) {
      for (const pid of [node.beamPid, node.epmdPid]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
  };
  process.once('exit', onExit);

  project.provide(
    'rabbitmq',
    node && {
      host: node.host,
      stompPort: node.stompPort,
      webStompPort: node.webStompPort,
      amqpPort: node.amqpPort,
      nodename: node.nodename,
    },
  );

  return async () => {
    process.removeListener('exit', onExit);
    if (node) await node.stop();
  };
}
