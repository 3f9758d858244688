// Runs the real CLI as a child process and reports its peak memory (VmHWM, Linux), for the memory-bound tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, type CliResult } from './proxy-cli.js';

const PRELOAD = path.join(REPO_ROOT, 'test/support/peak-rss.mjs');

export interface MeasuredCliResult extends CliResult {
  /** Peak resident set size of the CLI process, in bytes. */
  peakRss: number;
}

export async function runCliMeasured(args: string[], timeoutMs = 120_000): Promise<MeasuredCliResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'stompscope-rss-'));
  const file = path.join(dir, 'peak');
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', PRELOAD, 'src-main/cli/main.ts', ...args], {
      cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STOMPSCOPE_PEAK_RSS_FILE: file },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (c, s) => r({ code: c, signal: s })));
    clearTimeout(t);
    let kib = NaN;
    try {
      kib = Number(readFileSync(file, 'utf8'));
    } catch { /* killed before its exit hook ran: NaN fails the caller's bound */ }
    return { code, signal, stdout, stderr, peakRss: kib * 1024 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
