// Runs stomppy_scenario.py (stomp.py, a real client) with Debian's /usr/bin/python3 and returns its JSON log.
// /usr/bin/python3, never the first python3 on PATH: that may be another interpreter without python3-stomp.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogRecord, ScenarioSummary } from './stompjs-scenario.js';

export const PYTHON = '/usr/bin/python3';
export const STOMPPY_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'stomppy_scenario.py');

export interface StomppyOptions {
  host?: string;
  port: number;
  version?: '1.1' | '1.2';
  messages?: number;
  heartbeatMs?: number;
  lingerS?: number;
  slowS?: number;
  prefetch?: number;
  queue?: string;
  /** Whole-run limit (default 90 s); the script also bounds each of its waits. */
  timeoutMs?: number;
}

export interface StomppyRun {
  ok: boolean;
  code: number | null;
  records: LogRecord[];
  summary: ScenarioSummary & { ok: boolean };
  stderr: string;
}

export async function runStomppy(o: StomppyOptions): Promise<StomppyRun> {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install Debian's python3-stomp; .ci/run does`);
  const args = [STOMPPY_SCRIPT, '--host', o.host ?? '127.0.0.1', '--port', String(o.port), '--version', o.version ?? '1.2', '--log', '-'];
  if (o.messages !== undefined) args.push('--messages', String(o.messages));
  if (o.heartbeatMs !== undefined) args.push('--heartbeat', String(o.heartbeatMs));
  if (o.lingerS !== undefined) args.push('--linger', String(o.lingerS));
  if (o.slowS !== undefined) args.push('--slow', String(o.slowS));
  if (o.prefetch !== undefined) args.push('--prefetch', String(o.prefetch));
  if (o.queue !== undefined) args.push('--queue', o.queue);
  const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STOMP_SKIP_HOSTNAME_SCAN: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 90_000);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearTimeout(timer);
  const records = stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as LogRecord);
  const done = records.find((r) => r.event === 'done') as (ScenarioSummary & { ok: boolean; event: 'done' }) | undefined;
  if (!done) throw new Error(`stomp.py scenario wrote no summary (exit ${code})\nstderr:\n${stderr}\nlog:\n${stdout.slice(-4000)}`);
  return { ok: code === 0 && done.ok, code, records, summary: done, stderr };
}

/** The frame records of a log, split by direction. */
export function loggedFrames(records: LogRecord[], dir: 'sent' | 'received') {
  return records.flatMap((r) =>
    r.event === 'frame' && r.dir === dir
      ? [{ command: r.command, headers: r.headers, bodyLength: r.bodyLength, bodySha256: r.bodySha256, body: r.body }]
      : [],
  );
}

/**
 * The heart-beats of a log, by StompScope's rule (ConnectionAnalyzer.heartbeat): the client libraries log every
 * EOL between frames as a heart-beat, but the EOL directly after a frame's NUL (RabbitMQ writes one after every
 * frame) only ends that frame. Both directions negotiate heart-beats in these scenarios.
 */
export function loggedHeartbeats(records: LogRecord[], dir: 'sent' | 'received'): number {
  let n = 0;
  let afterFrame = false;
  for (const r of records) {
    if ((r.event !== 'frame' && r.event !== 'heartbeat') || r.dir !== dir) continue;
    if (r.event === 'frame') afterFrame = true;
    else if (r.event === 'heartbeat') {
      if (!afterFrame) n++;
      afterFrame = false;
    }
  }
  return n;
}
