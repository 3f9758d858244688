// `npm start`: builds and runs the desktop app. Electron downloads its runtime on first use; where that is
// impossible (no network, unsupported machine) say so in one line instead of a stack trace.
import { spawnSync } from 'node:child_process';

const probe = spawnSync(process.execPath, ['-e', 'process.stdout.write(require("electron"))'], { encoding: 'utf8', timeout: 300_000 });
if (probe.status !== 0) {
  process.stderr.write('stompscope: the Electron runtime is not installed, so the desktop app cannot start here; ' +
    'the same UI runs in your browser: npx stompscope ui --open\n');
  process.exit(1);
}
const r = spawnSync('npx', ['electron-vite', 'preview', '--config', 'electron.config.ts'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
