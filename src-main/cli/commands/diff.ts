// `stompscope diff`: carries core/replay/diff.ts (and shared/correlate) to a terminal.
import { defaultDbPath, openDb } from '../../core/store/db.js';
import { StoreReader } from '../../core/store/reader.js';
import { diffRecordedConnections } from '../../core/replay/diff.js';
import { ApiError } from '../../../shared/api/index.js';
import type { FrameDifference } from '../../../shared/correlate/broker-diff.js';
import { noPositionals, parse, parseId, UsageError } from '../args.js';

export const DIFF_HELP = `Usage: stompscope diff --connection A --connection B [--db FILE] [--json] [--include-volatile] [--reveal-secrets]

Compares what the broker sent on two connections (an original and its replay, or
any two). Frames are matched by correlation: CONNECTED with CONNECTED, RECEIPT by
receipt-id, MESSAGE by subscription and order, ERROR and the rest by order. Then
reports frames missing from B, extra in B, and matched frames whose headers or
body changed. Volatile headers (message-id, ack, session, server, timestamp,
expires, __AMQ_CID) are ignored unless --include-volatile. Credential values
(login, passcode, token-like headers) are compared as recorded but printed masked
unless --reveal-secrets.

  --db FILE            database to read (default: ${defaultDbPath()})
  --connection ID      give it twice: A, then B
  --json               one JSON object: {a, b, matched, missing, extra, changed,
                       ignoredHeaders, differences:[{kind, key, command, a, b,
                       aNumber, bNumber, headers:[{name, a, b}], body}]}
                       (a and b: seqs in the connections; aNumber and bNumber:
                       the frames' numbers within their sessions; a.number and
                       b.number: the connections' numbers within their sessions)
  --include-volatile   compare the volatile headers too
  --reveal-secrets     print credential header values as recorded

Exit status 0 when the broker sent the same, 1 when it did not, 2 for a usage
mistake (as diff(1)).`;

function quote(v: string | null): string {
  return v === null ? '(absent)' : JSON.stringify(v);
}

function lines(d: FrameDifference): string[] {
  // Each side's frame by its number within its session (as `frames` and the UI show it), then its seq in the connection.
  const at = (side: string, seq: number | null, n: number | null | undefined) => (seq === null ? '' : `${side} ${n != null ? `frame ${n}, ` : ''}seq ${seq}`);
  const where = [at('A', d.a, d.aNumber), at('B', d.b, d.bNumber)].filter(Boolean).join('; ');
  const out = [`${d.kind.padEnd(8)} ${d.key}  (${where})`];
  for (const h of d.headers) out.push(`           ${h.name}: ${quote(h.a)} → ${quote(h.b)}`);
  if (d.body) {
    const side = (s: { length: number; text: string | null }) => (s.text !== null && s.text.length <= 60 ? JSON.stringify(s.text) : `${s.length} bytes`);
    out.push(`           body: ${side(d.body.a)} → ${side(d.body.b)}`);
  }
  return out;
}

export async function diffCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    db: { type: 'string' }, connection: { type: 'string', multiple: true }, json: { type: 'boolean' }, 'include-volatile': { type: 'boolean' },
    'reveal-secrets': { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(DIFF_HELP + '\n');
    return 0;
  }
  noPositionals(positionals);
  const ids = values.connection ?? [];
  if (ids.length !== 2) throw new UsageError(`give --connection exactly twice (A and B), not ${ids.length} time${ids.length === 1 ? '' : 's'}`);
  const [idA, idB] = ids.map((v) => parseId(v, '--connection')!);
  const reader = new StoreReader(openDb(values.db ?? defaultDbPath(), { readonly: true }));
  try {
    let d;
    try {
      d = diffRecordedConnections(reader, idA, idB, { includeVolatile: !!values['include-volatile'], revealSecrets: !!values['reveal-secrets'] });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'not-found') throw new UsageError(`--connection: ${e.message} in the database`);
      throw e;
    }
    const { same, a, b } = d;
    if (values.json) {
      process.stdout.write(JSON.stringify(d) + '\n');
    } else {
      // Connections by their id (what --connection takes) and their number within their session (#k).
      const out = [`connection ${a.connection} (session ${a.session} #${a.number}) vs ${b.connection} (session ${b.session} #${b.number}): ${d.matched} matched, ` +
        `${d.missing} missing, ${d.extra} extra, ${d.changed} changed${same ? ' (same)' : ''}`];
      out.push(d.ignoredHeaders.length ? `ignored headers: ${d.ignoredHeaders.join(', ')}` : 'ignored headers: none');
      for (const x of d.differences) out.push(...lines(x));
      process.stdout.write(out.join('\n') + '\n');
    }
    return same ? 0 : 1;
  } finally {
    reader.close();
  }
}
