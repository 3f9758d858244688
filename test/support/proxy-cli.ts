// Drives the real CLI (src-main/cli/main.ts) as a user would: `proxy` in the background, then the read commands
// (`frames`, `sessions`, `connections` with --jsonl). Every wait is bounded.
//
// Contract (from the issue): `proxy --listen 127.0.0.1:0 --upstream H:P --db F --name N` prints to stderr a
// line matching /listening on (\S+):(\d+)/ once ready, one line per frame to stdout unless --quiet, and on
// SIGINT flushes and exits 0 after a one-line summary.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = ['--import', 'tsx', 'src-main/cli/main.ts'];

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningProxy {
  host: string;
  port: number;
  pid: number;
  stdoutLines(): string[];
  stderrText(): string;
  /** SIGINT, then wait (bounded) for the exit; SIGKILL and report if it does not exit in time. */
  stop(timeoutMs?: number): Promise<CliResult>;
}

function collect(child: ChildProcess) {
  const out = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out.stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out.stderr += d));
  return out;
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
}

export async function startProxy(opts: { upstream: string; db: string; name: string; extraArgs?: string[]; readyTimeoutMs?: number }): Promise<RunningProxy> {
  const args = [...CLI, 'proxy', '--listen', '127.0.0.1:0', '--upstream', opts.upstream, '--db', opts.db, '--name', opts.name, ...(opts.extraArgs ?? [])];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = collect(child);
  const done = exited(child);
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  let m: RegExpMatchArray | null = null;
  while (!(m = out.stderr.match(/listening on (\S+):(\d+)/))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`proxy exited before listening (code ${child.exitCode}, signal ${child.signalCode})\nstderr:\n${out.stderr}\nstdout:\n${out.stdout}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await done;
      throw new Error(`proxy did not print "listening on HOST:PORT" within the timeout\nstderr:\n${out.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const host = m[1].replace(/^\[(.*)\]$/, '$1');
  return {
    host,
    port: Number(m[2]),
    pid: child.pid!,
    stdoutLines: () => out.stdout.split('\n').filter((l) => l.length > 0),
    stderrText: () => out.stderr,
    async stop(timeoutMs = 30_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const { code, signal } = await done;
      clearTimeout(t);
      return { code, signal, stdout: out.stdout, stderr: out.stderr };
    },
  };
}

export async function runCli(args: string[], timeoutMs = 60_000): Promise<CliResult> {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = collect(child);
  const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const { code, signal } = await exited(child);
  clearTimeout(t);
  return { code, signal, ...out };
}

/** Run a read command with --jsonl and parse its stdout; throws with stderr on a non-zero exit. */
export async function readJsonl<T = Record<string, unknown>>(args: string[]): Promise<T[]> {
  const r = await runCli([...args, '--jsonl']);
  if (r.code !== 0) throw new Error(`stompscope ${args.join(' ')} --jsonl exited ${r.code} (${r.signal})\n${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l, i) => {
      try {
        return JSON.parse(l) as T;
      } catch {
        throw new Error(`line ${i + 1} of \`${args.join(' ')} --jsonl\` is not JSON: ${l.slice(0, 200)}`);
      }
    });
}

/** The frames JSONL contract. */
export interface JsonlFrame {
  session: number | string;
  connection: number | string;
  seq: number;
  from: 'client' | 'broker';
  time: string;
  command: string;
  headers: [string, string][];
  bodyLength: number;
  bodySha256: string;
  body: string | null;
  issues: { code: string; severity: string; message: string }[];
}

/** A connection line: `heartbeats: {client, broker}` is the contract; the id field may be `id` or `connection`. */
export interface ConnectionRow {
  id?: number | string;
  connection?: number | string;
  heartbeats: { client: number; broker: number };
  issues?: number | unknown[];
  [k: string]: unknown;
}

export const connectionId = (c: ConnectionRow) => c.id ?? c.connection;

/** ISO 8601 UTC with microseconds. */
export const ISO_MICROS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
