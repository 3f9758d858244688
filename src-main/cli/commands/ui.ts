// `stompscope ui`: the web host. The same UI as the desktop app, in a browser on this machine.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Core } from '../../core/api.js';
import { defaultDbPath } from '../../core/store/db.js';
import { startWebHost } from '../../web/server.js';
import { noPositionals, parse, UsageError } from '../args.js';
import { stopSignal } from '../signals.js';

export const UI_HELP = `Usage: stompscope ui [--db FILE] [--port N] [--open]

Serves the StompScope UI to a browser on this machine (127.0.0.1 only) and prints its URL.
The URL carries a random token: only someone who has it can use the UI.

  --db FILE   database to open (default: ${defaultDbPath()})
  --port N    port to listen on (default: a free one)
  --open      open the UI in the default browser (through a one-time link: the token
              never goes on the browser launcher's command line, which other users can see)

Ctrl-C stops it, and any proxy started from the UI.`;

/**
 * The renderer build: STOMPSCOPE_RENDERER_DIR if set, else out/renderer beside our package.json (from the
 * sources or from out/node).
 */
export function findRendererDir(): string | null {
  const env = process.env.STOMPSCOPE_RENDERER_DIR;
  if (env) return fs.existsSync(path.join(env, 'index.html')) ? path.resolve(env) : null;
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../..', '../../../../..']) {
    const dir = path.resolve(here, up, 'out', 'renderer');
    if (fs.existsSync(path.join(dir, 'index.html'))) return dir;
  }
  return null;
}

export async function uiCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { db: { type: 'string' }, port: { type: 'string' }, open: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(UI_HELP + '\n');
    return 0;
  }
  noPositionals(positionals);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: expected a port number, got '${values.port}'`);
  const rendererDir = findRendererDir();
  if (!rendererDir) throw new UsageError('the UI is not built: run `npm run build` first');
  const dbPath = path.resolve(values.db ?? defaultDbPath());
  const core = Core.open(dbPath);
  // Listening for Ctrl-C before the URL is printed, so that a signal right after it stops cleanly.
  const stopped = stopSignal();
  let host;
  try {
    host = await startWebHost({ core, rendererDir, port });
  } catch (e) {
    await core.close();
    throw new UsageError(`--port ${port}: cannot listen (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  process.stderr.write(`stompscope: UI for ${dbPath}\n`);
  process.stdout.write(`${host.url}\n`);
  if (values.open) {
    const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
    // Any local user can read a command line (ps): the launcher gets a one-time code that the host trades for the
    // token once, within a minute, not the token.
    spawn(opener, [host.openUrl()], { detached: true, stdio: 'ignore' }).on('error', () => process.stderr.write(`stompscope: could not run ${opener}; open the URL yourself\n`)).unref();
  }
  await stopped;
  await host.close();
  await core.close();
  return 0;
}
