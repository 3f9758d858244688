// The recording proxy, run through its CLI, between two recording tees (test/support/tee.ts):
//
//     client → tee A → proxy → tee B → broker
//
// for the tests that prove forwarding is byte-for-byte (tee A vs tee B) and check the recording against the tees'
// bytes. Registers the beforeAll/afterAll of the enclosing describe: a temp dir with the database, the tees and
// the proxy are started before its tests and stopped (proxy first) and removed after them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startProxy, type CliResult, type RunningProxy } from './proxy-cli.js';
import { startTee, type Tee } from './tee.js';

export interface TeedProxy {
  readonly dir: string;
  readonly db: string;
  /** Between the client and the proxy: clients connect to its port. */
  readonly teeA: Tee;
  /** Between the proxy and the broker. */
  readonly teeB: Tee;
  readonly proxy: RunningProxy;
  /** Stops the proxy (SIGINT, bounded); once: later calls give the same exit. */
  stopProxy(timeoutMs?: number): Promise<CliResult>;
}

export interface TeedProxyOptions {
  /** The temp dir's name prefix. */
  dirPrefix: string;
  /** The recording session's name. */
  name: string;
  /** Where the broker listens (called in beforeAll, after `before`). */
  broker: () => { host: string; port: number };
  /** The proxy's --upstream for tee B's port (default `127.0.0.1:${port}`). */
  upstream?: (teeBPort: number) => string;
  extraArgs?: string[];
  /** Runs first in beforeAll (e.g. a check that the broker is there). */
  before?: () => void;
}

export function useTeedProxy(opts: TeedProxyOptions): TeedProxy {
  let dir = '';
  let db = '';
  let teeA: Tee | undefined;
  let teeB: Tee | undefined;
  let proxy: RunningProxy | undefined;
  let exit: Promise<CliResult> | undefined;

  beforeAll(async () => {
    opts.before?.();
    dir = mkdtempSync(path.join(tmpdir(), opts.dirPrefix));
    db = path.join(dir, 's.db');
    const broker = opts.broker();
    teeB = await startTee(broker.host, broker.port);
    proxy = await startProxy({ upstream: (opts.upstream ?? ((p) => `127.0.0.1:${p}`))(teeB.port), db, name: opts.name, extraArgs: opts.extraArgs });
    teeA = await startTee(proxy.host, proxy.port);
  });

  afterAll(async () => {
    if (proxy && !exit) await proxy.stop(10_000);
    await teeA?.close();
    await teeB?.close();
    if (dir && process.env.STOMPSCOPE_KEEP_TEST_DIR !== '1') rmSync(dir, { recursive: true, force: true });
  });

  return {
    get dir() {
      return dir;
    },
    get db() {
      return db;
    },
    get teeA() {
      return teeA!;
    },
    get teeB() {
      return teeB!;
    },
    get proxy() {
      return proxy!;
    },
    stopProxy: (timeoutMs) => (exit ??= proxy!.stop(timeoutMs)),
  };
}
