// stompscope: the tshark-like command line. Each command only carries an operation of the core to the
// terminal: the UI and the CLI reach the core the same way.
import { createRequire } from 'node:module';
import { StoreError } from '../core/store/db.js';
import { UsageError } from './args.js';
import { importCommand } from './commands/import.js';
import { captureCommand } from './commands/capture.js';
import { proxyCommand } from './commands/proxy.js';
import { connectionsCommand, framesCommand, sessionsCommand } from './commands/read.js';
import { replayCommand } from './commands/replay.js';
import { diffCommand } from './commands/diff.js';
import { exportCommand } from './commands/export.js';
import { uiCommand } from './commands/ui.js';
import { reportCommand } from './commands/report.js';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; summary: string }> = {
  proxy: { run: proxyCommand, summary: 'run the transparent recording proxy between clients and a broker' },
  sessions: { run: sessionsCommand, summary: 'list recorded sessions' },
  connections: { run: connectionsCommand, summary: 'list connections with version, frame and heart-beat counts' },
  frames: { run: framesCommand, summary: 'print frames in capture order (--jsonl for scripts)' },
  import: { run: importCommand, summary: 'import pcap / pcapng capture files as sessions (TCP reassembled)' },
  capture: { run: captureCommand, summary: 'record STOMP live off a network interface (dumpcap or tcpdump)' },
  replay: { run: replayCommand, summary: 'replay the client side of a recorded connection against a broker (recorded as a new session)' },
  diff: { run: diffCommand, summary: 'compare what the broker sent on two connections (e.g. original and replay)' },
  export: { run: exportCommand, summary: 'write a session as pcapng or JSON lines, or a connection or frame as stomp.py / stompjs code' },
  report: { run: reportCommand, summary: 'statistics and expert info of sessions: latencies, rates, heart-beats, issues' },
  ui: { run: uiCommand, summary: 'serve the UI to a browser on this machine (127.0.0.1, with a token)' },
};

const HELP = `Usage: stompscope <command> [options]

StompScope records and decodes STOMP traffic. Commands:

${Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(12)} ${c.summary}`).join('\n')}

  stompscope <command> --help   options of one command
  stompscope --version          the version`;

function version(): string {
  const require = createRequire(import.meta.url);
  // src-main/cli/main.ts in a checkout, out/node/src-main/cli/main.js when built: walk up to our package.json.
  for (const p of ['../../package.json', '../../../../package.json']) {
    try {
      const pkg = require(p) as { name: string; version: string };
      if (pkg.name === 'stompscope') return pkg.version;
    } catch { /* not at this level */ }
  }
  return 'unknown';
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    process.stdout.write(HELP + '\n');
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === '--version' || cmd === '-V') {
    process.stdout.write(`stompscope ${version()}\n`);
    return 0;
  }
  const command = COMMANDS[cmd];
  try {
    if (!command) throw new UsageError(`unknown command '${cmd}' (try: ${Object.keys(COMMANDS).join(', ')})`);
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`stompscope${command ? ' ' + cmd : ''}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof StoreError) {
      process.stderr.write(`stompscope: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  }, (e: unknown) => {
    process.stderr.write(`stompscope: internal error: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 70;
  });
}
