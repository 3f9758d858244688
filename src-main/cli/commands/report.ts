// `stompscope report`: statistics and expert info of recorded sessions. Only carries
// core/read/report.ts to a terminal.
import { computeReport, formatReport, ReportError } from '../../core/read/report.js';
import { defaultDbPath, openDb } from '../../core/store/db.js';
import { noPositionals, parse, parseId, UsageError } from '../args.js';

export const REPORT_HELP = `Usage: stompscope report [--db FILE] [--session ID] [--json]

Statistics and expert info of recorded sessions, per session and per connection:
duration, frames by command, bytes, messages per destination (count and rate),
latency percentiles (p50/p90/p99/max) of CONNECT→CONNECTED, receipt→RECEIPT,
MESSAGE→ACK, SEND→MESSAGE (delivery) and BEGIN→COMMIT, heart-beat health, and
issues grouped by severity and code (docs/expert-info.md lists the codes).

  --db FILE      database to read (default: ${defaultDbPath()})
  --session ID   only this session (default: every session)
  --json         one JSON document: an array of sessions, each with its connections;
                 times are ISO 8601, durations and latencies microseconds`;

export async function reportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { db: { type: 'string' }, session: { type: 'string' }, json: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(REPORT_HELP + '\n');
    return 0;
  }
  noPositionals(positionals);
  const session = parseId(values.session, '--session');
  const db = openDb(values.db ?? defaultDbPath(), { readonly: true });
  try {
    let reports;
    try {
      reports = computeReport(db, { session });
    } catch (e) {
      if (e instanceof ReportError) throw new UsageError(`--session: ${e.message}`);
      throw e;
    }
    process.stdout.write(values.json ? JSON.stringify(reports, null, 2) + '\n' : formatReport(reports));
  } finally {
    db.close();
  }
  return 0;
}
