import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MIGRATIONS } from './migrations.js';
import { fileKind } from '../file-kind.js';

export type Db = Database.Database;

/**
 * The default database: one file per user, in the platform's data directory. `--db` or `STOMPSCOPE_DB`
 * override it.
 */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.STOMPSCOPE_DB) return env.STOMPSCOPE_DB;
  const home = os.homedir();
  let dir: string;
  if (platform === 'win32') dir = path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'StompScope');
  else if (platform === 'darwin') dir = path.join(home, 'Library', 'Application Support', 'StompScope');
  else dir = path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'stompscope');
  return path.join(dir, 'stompscope.db');
}

export class StoreError extends Error {}

/**
 * Where the better-sqlite3 addon comes from, for every database the process opens (the recorder's worker
 * threads and import jobs included, which inherit the environment): the Electron host sets it to a build
 * for Electron's ABI; unset, the package's own (Node) build is used.
 */
export const SQLITE_BINDING_ENV = 'STOMPSCOPE_SQLITE_BINDING';

/**
 * Opens (and creates or migrates) a StompScope database. `readonly` opens never create; they fail with a clear
 * message if the file is missing or is not ours, and bring a database of an older schema up to date first.
 * `nativeBinding` lets the Electron host load a better-sqlite3 build made for Electron's ABI while the CLI and
 * tests keep the Node build (one build cannot serve both ABIs).
 */
export function openDb(file: string, opts: { readonly?: boolean; nativeBinding?: string } = {}): Db {
  checkDbPath(file);
  if (opts.readonly && !fs.existsSync(file)) throw new StoreError(`no database at ${file}`);
  if (!opts.readonly) makeParents(file);
  let db: Db;
  try {
    const nativeBinding = opts.nativeBinding ?? (process.env[SQLITE_BINDING_ENV] || undefined);
    db = new Database(file, { readonly: !!opts.readonly, fileMustExist: !!opts.readonly, nativeBinding });
  } catch (e) {
    throw new StoreError(`cannot open database ${file}: ${(e as Error).message}`);
  }
  try {
    db.pragma('busy_timeout = 5000');
    if (!opts.readonly) {
      // 8 KiB pages for a new file (an existing one keeps its own): frame rows and their four indexes are
      // written about 5% faster than with 4 KiB pages (bench/store.ts). Must come before WAL is switched on.
      db.pragma('page_size = 8192');
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode: a crash loses at most the last transactions, never corrupts (sqlite.org/wal.html).
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db);
    } else {
      const v = db.pragma('user_version', { simple: true }) as number;
      if (v === 0 && !hasTable(db, 'sessions')) throw new StoreError(`${file} is not a StompScope database`);
      if (v > MIGRATIONS.length) throw new StoreError(`${file} was written by a newer StompScope (schema ${v})`);
      if (v >= 1 && v < MIGRATIONS.length) {
        // Written by an older StompScope: the readers need the newer columns (frame and connection numbers), so
        // the file is brought up to date once, through a short read-write connection, then opened read-only.
        db.close();
        upgrade(file, opts.nativeBinding, v);
        return openDb(file, opts);
      }
    }
  } catch (e) {
    if (db.open) db.close();
    if (e instanceof StoreError) throw e;
    throw new StoreError(`cannot use database ${file}: ${(e as Error).message}`);
  }
  return db;
}

/** Migrates an older database for a read-only open; a clear StoreError when the file cannot be written. */
function upgrade(file: string, nativeBinding: string | undefined, version: number): void {
  let rw: Db;
  try {
    rw = openDb(file, { nativeBinding });
  } catch (e) {
    throw new StoreError(`${file} was written by an older StompScope (schema ${version}) and cannot be upgraded: ` +
      `${(e as Error).message}; open it once where it can be written`);
  }
  rw.close();
}

/**
 * A database is a regular file, or a path where one can be made. SQLite would otherwise open a device (`--db
 * /dev/null`) and leave its journal beside it (`/dev/null-journal`), or block on a named pipe.
 */
export function checkDbPath(file: string): void {
  if (file === ':memory:' || file === '') return; // SQLite's in-memory and temporary databases
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(file, { throwIfNoEntry: false });
  } catch (e) {
    throw new StoreError(`cannot open database ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (st && !st.isFile()) throw new StoreError(`cannot use ${file} as a database: it is ${fileKind(st)}; give a database file or a new path`);
}

/**
 * Creates the directories a new database needs, one at a time: mkdirSync's recursive mode spins forever where
 * mkdir answers ENOENT under a directory that exists (/proc, /sys). Failures are one-line StoreErrors.
 */
function makeParents(file: string): void {
  const missing: string[] = [];
  for (let d = path.dirname(path.resolve(file)); ; d = path.dirname(d)) {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(d, { throwIfNoEntry: false });
    } catch (e) {
      throw new StoreError(`cannot open database ${file}: ${d}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (st) {
      if (!st.isDirectory()) throw new StoreError(`cannot open database ${file}: ${d} is not a directory`);
      break;
    }
    missing.unshift(d);
    if (d === path.dirname(d)) break;
  }
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new StoreError(`cannot open database ${file}: cannot create the directory ${d} (${code ?? (e as Error).message})`);
    }
  }
}

function hasTable(db: Db, name: string): boolean {
  return !!db.prepare(`SELECT 1 FROM sqlite_master WHERE type='table' AND name=?`).get(name);
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) throw new StoreError(`database schema ${current} is newer than this StompScope (${MIGRATIONS.length})`);
  if (current === 0 && db.prepare(`SELECT count(*) FROM sqlite_master`).pluck().get() !== 0) {
    throw new StoreError('the file is an SQLite database, but not a StompScope one');
  }
  for (let i = current; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i]);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
}
