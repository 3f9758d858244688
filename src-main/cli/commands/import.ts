// `stompscope import FILE…`: capture files into sessions. Only carries core/capture/import-job.ts to a terminal.
import path from 'node:path';
import { CaptureError, importCapture, type ImportResult } from '../../core/capture/import-job.js';
import { defaultDbPath, openDb } from '../../core/store/db.js';
import { StoreWriter } from '../../core/store/writer.js';
import { parse, parseProfileOption, UsageError } from '../args.js';
import { PROFILE_NAMES } from '../../../shared/analysis/profiles.js';
import { KeyLogError, readKeyLogFile, type KeyLog } from '../../core/capture/tls/keylog.js';

export const IMPORT_HELP = `Usage: stompscope import FILE… [--db FILE] [--name NAME] [--port N]… [--json] [--skip-existing] [--profile NAME]
                        [--tls-keylog FILE]

Imports pcap and pcapng captures (tcpdump, dumpcap, tshark, Wireshark) into sessions,
one per file, with the capture's own times. TCP is reassembled; STOMP connections are
found by port (61613, 61614, 61612) and by content (a flow that speaks STOMP).

  --db FILE          database to import into (default: ${defaultDbPath()})
  --name NAME        session name (default: the file name)
  --port N           also treat port N as STOMP (repeatable)
  --json             print {"session", "connections", "frames", "issues", "warnings"}
                     (an array of them for several files) instead of the summary
  --skip-existing    skip files already imported (same SHA-256)
  --profile NAME     broker profile for expert info: ${PROFILE_NAMES.join(', ')}
                     (default: detected from CONNECTED's server header)
  --tls-keylog FILE  decrypt TLS connections with this key log (NSS format, as
                     SSLKEYLOGFILE, Node's --tls-keylog, Go and Java agents write it):
                     TLS 1.2 ECDHE with AES-GCM or ChaCha20-Poly1305, TLS 1.3.
                     Without it, TLS connections on STOMP ports are listed as TLS,
                     not decrypted

Formats: classic pcap (µs and ns), pcapng. Link types: Ethernet (802.1Q, QinQ),
Linux cooked (SLL, SLL2: tcpdump -i any), BSD loopback, raw IPv4/IPv6.
A truncated or corrupt file is imported up to the damage, and the session is
marked incomplete. Exit status 1 if a file could not be imported at all.`;

/** Progress bar for big files on a terminal: bytes done, MB/s, ETA. Redrawn at most 10 times a second. */
class Progress {
  private last = 0;
  private readonly start = performance.now();
  private shown = false;
  constructor(private readonly label: string) {}

  update(done: number, total: number): void {
    const now = performance.now();
    if (now - this.last < 100 && done < total) return;
    this.last = now;
    const secs = (now - this.start) / 1000;
    const rate = secs > 0 ? done / 1e6 / secs : 0;
    const eta = rate > 0 ? Math.max(0, (total - done) / 1e6 / rate) : 0;
    const width = 24;
    const filled = Math.round((done / total) * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const mm = Math.floor(eta / 60);
    const ss = String(Math.round(eta % 60)).padStart(2, '0');
    const line = `${this.label} [${bar}] ${((done / total) * 100).toFixed(0).padStart(3)}%  ${(done / 1e6).toFixed(1)}/${(total / 1e6).toFixed(1)} MB  ` +
      `${rate.toFixed(0)} MB/s  ETA ${mm}:${ss}`;
    process.stderr.write(`\r${line.slice(0, (process.stderr.columns || 100) - 1)}\x1b[K`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
  }
}

const PROGRESS_MIN_BYTES = 8 * 1024 * 1024;

function summaryLine(r: ImportResult): string {
  if (r.skippedAs !== undefined) return `${r.file}: already imported as session ${r.skippedAs}, skipped`;
  const state = r.complete ? '' : ' (INCOMPLETE)';
  const by = r.issuesBySeverity;
  const kinds = by ? ([['error', by.error], ['warning', by.warning], ['note', by.note]] as const).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}${n > 1 ? 's' : ''}`) : [];
  return `${r.file}: session ${r.session}${state}: ${r.packets} packets, ${r.connections} connections, ${r.frames} frames, ${r.issues} issues` +
    (kinds.length ? ` (${kinds.join(', ')})` : '') +
    (r.warnings.length ? `, ${r.warnings.length} warning${r.warnings.length > 1 ? 's' : ''}` : '');
}

function jsonOf(r: ImportResult) {
  const o: Record<string, unknown> = {
    session: r.session, connections: r.connections, frames: r.frames, issues: r.issues, warnings: r.warnings,
    file: r.file, complete: r.complete, packets: r.packets,
  };
  if (r.issuesBySeverity) o.issuesBySeverity = r.issuesBySeverity;
  if (r.skippedAs !== undefined) o.skippedAs = r.skippedAs;
  if (r.error) o.error = r.error;
  return o;
}

export async function importCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    db: { type: 'string' }, name: { type: 'string' }, port: { type: 'string', multiple: true }, json: { type: 'boolean' },
    'skip-existing': { type: 'boolean' }, profile: { type: 'string' }, 'tls-keylog': { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(IMPORT_HELP + '\n');
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('no capture file given (stompscope import FILE…)');
  const ports = (values.port ?? []).map((p) => {
    const n = Number(p);
    if (!/^\d+$/.test(p) || n < 1 || n > 65535) throw new UsageError(`--port: '${p}' is not a port number (1-65535)`);
    return n;
  });
  const profile = parseProfileOption(values.profile);
  let keyLog: KeyLog | null = null;
  if (values['tls-keylog'] !== undefined) {
    try {
      keyLog = readKeyLogFile(values['tls-keylog']);
    } catch (e) {
      if (e instanceof KeyLogError) throw new UsageError(`--tls-keylog: ${e.message}`);
      throw e;
    }
  }
  const dbPath = path.resolve(values.db ?? defaultDbPath());
  const writer = new StoreWriter(openDb(dbPath));
  const err = (line: string) => process.stderr.write(`stompscope import: ${line}\n`);
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const results: ImportResult[] = [];
  let failed = 0;
  try {
    for (const file of positionals) {
      if (ac.signal.aborted) break;
      const name = values.name === undefined ? undefined : positionals.length > 1 ? `${values.name} (${path.basename(file)})` : values.name;
      const progress = process.stderr.isTTY ? new Progress(path.basename(file)) : null;
      let r: ImportResult;
      try {
        r = await importCapture(writer, file, {
          name, ports, keyLog, skipExisting: !!values['skip-existing'], signal: ac.signal, profile,
          onProgress: progress ? (done, total) => total >= PROGRESS_MIN_BYTES && progress.update(done, total) : undefined,
        });
      } catch (e) {
        if (!(e instanceof CaptureError)) throw e;
        r = { file, session: null, connections: 0, frames: 0, issues: 0, warnings: [], complete: false, error: e.message, packets: 0, bytes: 0, format: null };
      } finally {
        progress?.clear();
      }
      results.push(r);
      if (r.error) {
        failed++;
        err(r.error);
        continue;
      }
      if (!values.json) {
        process.stdout.write(summaryLine(r) + '\n');
        for (const w of r.warnings) process.stdout.write(`  warning: ${w}\n`);
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    writer.close();
  }
  if (values.json) {
    const out = results.map(jsonOf);
    process.stdout.write(JSON.stringify(out.length === 1 ? out[0] : out) + '\n');
  } else if (results.length > 1) {
    const ok = results.filter((r) => !r.error);
    const sum = (k: 'connections' | 'frames' | 'issues') => ok.reduce((n, r) => n + r[k], 0);
    process.stdout.write(`${ok.length} of ${results.length} files imported: ${sum('connections')} connections, ${sum('frames')} frames, ${sum('issues')} issues\n`);
  }
  return failed ? 1 : 0;
}
