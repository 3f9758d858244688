// Shared pieces of the reliability tests: sizes for CI and for `npm run soak`, a seeded RNG whose seed
// is printed on failure, peak-memory sampling of a child process, and small socket helpers. Every wait is bounded.
import { readFileSync } from 'node:fs';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** `npm run soak` sets this: the same tests with full-size parameters. */
export const SOAK = process.env.STOMPSCOPE_SOAK === '1';

/** CI size, or the soak size under `npm run soak`; an env variable overrides both (for experiments). */
export function size(name: string, ci: number, soak: number): number {
  const v = process.env[`STOMPSCOPE_SOAK_${name}`];
  return v ? Number(v) : SOAK ? soak : ci;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** mulberry32: small, fast, and reproducible from one 32-bit seed. */
export function rng(seed: number): { next(): number; int(lo: number, hi: number): number; chance(p: number): boolean } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), chance: (p) => next() < p };
}

/** The seed for this run: STOMPSCOPE_SEED to reproduce a failure, else a fresh one. */
export function seed(): number {
  const s = process.env.STOMPSCOPE_SEED ? Number(process.env.STOMPSCOPE_SEED) : (Math.random() * 2 ** 32) >>> 0;
  return s >>> 0;
}

/** A field of /proc/PID/status in bytes (VmHWM = peak resident set, VmRSS = current), or null when gone. */
export function procStatusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Samples VmHWM of a process every `everyMs` (the kernel keeps the peak; sampling only keeps the last known). */
export function peakRss(pid: number, everyMs = 100): { peak(): number; stop(): number } {
  let peak = 0;
  const take = () => {
    const v = procStatusBytes(pid, 'VmHWM');
    if (v !== null && v > peak) peak = v;
  };
  take();
  const t = setInterval(take, everyMs);
  return {
    peak: () => (take(), peak),
    stop: () => {
      take();
      clearInterval(t);
      return peak;
    },
  };
}

export const MiB = 1024 * 1024;
export const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;

const dirs: string[] = [];
export function tmpDir(prefix = 'stompscope-rel-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}
export function removeTmpDirs(): void {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

export function listen(onSocket: (s: net.Socket) => void, host = '127.0.0.1'): Promise<net.Server> {
  const srv = net.createServer({ allowHalfOpen: true }, onSocket);
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, host, () => resolve(srv));
  });
}
export const portOf = (srv: net.Server) => (srv.address() as net.AddressInfo).port;
export const closeServer = (srv: net.Server) => new Promise<void>((r) => srv.close(() => r()));

export function connect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, allowHalfOpen: true }, () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Writes `data` respecting backpressure. */
export function writeAll(s: net.Socket, data: Uint8Array): Promise<void> {
  if (s.write(data)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      s.off('close', onClose);
      resolve();
    };
    const onClose = () => {
      s.off('drain', onDrain);
      reject(new Error('socket closed while writing'));
    };
    s.once('drain', onDrain);
    s.once('close', onClose);
  });
}

/** Polls `cond` until true or `ms` passed; throws `what` on timeout. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms: number, what: string, everyMs = 25): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Rejects after `ms` with a clear message unless `p` settles first. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms))),
  ]);
}
