// Builds better-sqlite3 for Electron's ABI into native/electron/, leaving the Node build that the CLI and
// the tests use untouched (rebuilding in place would replace it). Needs network access for
// Electron's headers, so it is run by hand on a developer's machine, not by npm install.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const electronVersion = require('electron/package.json').version;
const src = path.dirname(require.resolve('better-sqlite3/package.json'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'stompscope-electron-sqlite-'));
fs.cpSync(src, work, { recursive: true, filter: (p) => !p.includes(`${path.sep}build${path.sep}`) && !p.endsWith(`${path.sep}build`) });
process.stdout.write(`building better-sqlite3 for Electron ${electronVersion} in ${work}\n`);
execFileSync('npx', ['--yes', 'node-gyp', 'rebuild', '--release', `--target=${electronVersion}`, '--dist-url=https://electronjs.org/headers', '--runtime=electron'], {
  cwd: work, stdio: 'inherit', env: { ...process.env, npm_config_nodedir: '' },
});
const out = path.resolve('native/electron');
fs.mkdirSync(out, { recursive: true });
fs.copyFileSync(path.join(work, 'build', 'Release', 'better_sqlite3.node'), path.join(out, 'better_sqlite3.node'));
process.stdout.write(`wrote ${path.join(out, 'better_sqlite3.node')}\n`);
