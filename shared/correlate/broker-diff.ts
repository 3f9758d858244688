// Compares what a broker sent on two connections (an original and its replay, or any two): broker frames
// are matched by correlation rather than by position, then compared header by header and body by body.
//
// Matching keys (a frame's key is unique within its connection):
//   CONNECTED            the n-th CONNECTED (there is one per connection; STOMP 1.2 §Connecting)
//   RECEIPT              its receipt-id (STOMP 1.2 §RECEIPT), plus its occurrence among equal ids
//   MESSAGE              subscription + its ordinal on that subscription (STOMP 1.2 §MESSAGE: the
//                        `subscription` header names the SUBSCRIBE `id` it was delivered for)
//   ERROR, anything else the n-th frame of that command
// Order alone would pair the wrong frames as soon as one RECEIPT or MESSAGE is missing or the interleaving
// of subscriptions differs, which is normal between two runs.
//
// Pure: frames in (interpreted headers, body digest), differences out. No node:*, reused by analyses.
// Values are compared as recorded; maskDiff then hides credential values from whoever shows the result.

import { isSecretHeader, MASK, maskText } from '../stomp/secrets.js';

type Headers = readonly (readonly [string, string])[];

export interface DiffFrame {
  /** Capture-order position in its connection. */
  seq: number;
  /** The frame's number within its session, when known (what the UI and the CLI show). */
  number?: number;
  command: string;
  /** Interpreted (unescaped) headers in wire order, repeats kept. */
  headers: Headers;
  bodyLength: number;
  /** Any digest of the body that is equal exactly when the bodies are (hex SHA-256 from the store). */
  bodyDigest: string | null;
  /** The body as text when it is valid UTF-8 (for display), else null. */
  bodyText?: string | null;
}

/**
 * Headers that differ between two runs by design and say nothing about behaviour:
 *   message-id, ack   broker-assigned per delivery (STOMP 1.2 §MESSAGE, §ACK)
 *   session           broker-assigned per connection (STOMP 1.2 §CONNECTED)
 *   server            broker name and version: differs across builds being compared
 *   timestamp, expires  JMS-style times set on the broker clock (ActiveMQ, Artemis)
 *   __AMQ_CID         Artemis stamps each message with the sending connection's id
 * `heart-beat` and `version` are kept: a change there is a real behaviour change.
 */
export const VOLATILE_HEADERS: readonly string[] = ['message-id', 'ack', 'session', 'server', 'timestamp', 'expires', '__AMQ_CID'];

export interface HeaderChange {
  name: string;
  /** First value in A (first header wins: STOMP 1.2 §Repeated Header Entries), or null when absent. */
  a: string | null;
  b: string | null;
}

export interface BodyChange {
  a: { length: number; digest: string | null; text: string | null };
  b: { length: number; digest: string | null; text: string | null };
}

export type DiffKind = 'missing' | 'extra' | 'changed';

export interface FrameDifference {
  /** missing: in A only; extra: in B only; changed: matched with differing headers or body. */
  kind: DiffKind;
  /** The correlation key, readable: `MESSAGE sub-1 #3`, `RECEIPT r-7`, `CONNECTED`, `ERROR #1`. */
  key: string;
  command: string;
  /** The frames' seqs in their connections… */
  a: number | null;
  b: number | null;
  /** …and their numbers within their sessions, when the frames carry them. */
  aNumber?: number | null;
  bNumber?: number | null;
  headers: HeaderChange[];
  body: BodyChange | null;
}

export interface BrokerDiff {
  matched: number;
  missing: number;
  extra: number;
  changed: number;
  /** Headers left out of the comparison (empty with includeVolatile). */
  ignoredHeaders: string[];
  /** In A's order, with B-only frames placed after the matched frame that precedes them in B. */
  differences: FrameDifference[];
}

export interface DiffOptions {
  /** Compare the volatile headers too. */
  includeVolatile?: boolean;
  /** Extra header names to ignore. */
  ignore?: readonly string[];
}

function first(headers: Headers, name: string): string | undefined {
  for (const [n, v] of headers) if (n === name) return v;
  return undefined;
}

/** Correlation keys for a connection's broker frames, in order: [internal key, readable label]. */
export function correlationKeys(frames: readonly DiffFrame[]): Array<[key: string, label: string]> {
  const counts = new Map<string, number>();
  const next = (k: string) => {
    const n = (counts.get(k) ?? 0) + 1;
    counts.set(k, n);
    return n;
  };
  return frames.map((f) => {
    if (f.command === 'RECEIPT') {
      const id = first(f.headers, 'receipt-id');
      if (id !== undefined) {
        const n = next(`R\u0000${id}`);
        return [`R\u0000${id}\u0000${n}`, `RECEIPT ${id}${n > 1 ? ` (${n})` : ''}`];
      }
    } else if (f.command === 'MESSAGE') {
      const sub = first(f.headers, 'subscription') ?? '';
      const n = next(`M\u0000${sub}`);
      return [`M\u0000${sub}\u0000${n}`, `MESSAGE ${sub || '(no subscription)'} #${n}`];
    }
    const n = next(`C\u0000${f.command}`);
    return [`C\u0000${f.command}\u0000${n}`, f.command === 'CONNECTED' && n === 1 ? 'CONNECTED' : `${f.command} #${n}`];
  });
}

/**
 * Pairs A's and B's frames by correlation key. Returns index pairs; an index is null when that side has no
 * frame with the key. A's order is kept; a B-only frame follows the pair holding the B frame before it.
 */
export function matchFrames(a: readonly DiffFrame[], b: readonly DiffFrame[]): Array<{ a: number | null; b: number | null; label: string }> {
  const ka = correlationKeys(a);
  const kb = correlationKeys(b);
  const bIndex = new Map<string, number>();
  kb.forEach(([k], i) => bIndex.set(k, i));
  const matchedB = new Set<number>();
  const pairs: Array<{ a: number | null; b: number | null; label: string }> = [];
  for (let i = 0; i < a.length; i++) {
    const j = bIndex.get(ka[i][0]);
    if (j !== undefined) matchedB.add(j);
    pairs.push({ a: i, b: j ?? null, label: ka[i][1] });
  }
  // Place each B-only frame after the pair of the nearest earlier B frame that was matched.
  const after = new Map<number, Array<{ a: null; b: number; label: string }>>();
  const lead: Array<{ a: null; b: number; label: string }> = [];
  let lastMatched = -1;
  for (let j = 0; j < b.length; j++) {
    if (matchedB.has(j)) {
      lastMatched = j;
      continue;
    }
    const item = { a: null, b: j, label: kb[j][1] };
    if (lastMatched < 0) lead.push(item);
    else {
      let list = after.get(lastMatched);
      if (!list) after.set(lastMatched, (list = []));
      list.push(item);
    }
  }
  const out: Array<{ a: number | null; b: number | null; label: string }> = [...lead];
  for (const p of pairs) {
    out.push(p);
    if (p.b !== null) out.push(...(after.get(p.b) ?? []));
  }
  return out;
}

/** Header changes between two matched frames, ignoring `ignored` names. Compared by first value per name. */
export function headerChanges(a: Headers, b: Headers, ignored: ReadonlySet<string>): HeaderChange[] {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const [n] of [...a, ...b]) {
    if (!seen.has(n)) {
      seen.add(n);
      names.push(n);
    }
  }
  const out: HeaderChange[] = [];
  for (const name of names) {
    if (ignored.has(name)) continue;
    const va = first(a, name) ?? null;
    const vb = first(b, name) ?? null;
    if (va !== vb) out.push({ name, a: va, b: vb });
  }
  return out;
}

function sameBody(a: DiffFrame, b: DiffFrame): boolean {
  if (a.bodyLength !== b.bodyLength) return false;
  if (a.bodyDigest !== null && b.bodyDigest !== null) return a.bodyDigest === b.bodyDigest;
  // A digest is missing only when the body was not recorded (a capture gap): lengths are all we know.
  return true;
}

/** The frames' numbers within their sessions, only when the frames carry them (so that bare DiffFrames keep their shape). */
function numbers(a: DiffFrame | null, b: DiffFrame | null): { aNumber?: number | null; bNumber?: number | null } {
  return a?.number === undefined && b?.number === undefined ? {} : { aNumber: a?.number ?? null, bNumber: b?.number ?? null };
}

/** Matches and compares the broker frames of two connections. */
export function diffBrokerFrames(a: readonly DiffFrame[], b: readonly DiffFrame[], opts: DiffOptions = {}): BrokerDiff {
  const ignoredList = [...(opts.includeVolatile ? [] : VOLATILE_HEADERS), ...(opts.ignore ?? [])];
  const ignored = new Set(ignoredList);
  const result: BrokerDiff = { matched: 0, missing: 0, extra: 0, changed: 0, ignoredHeaders: [...ignored], differences: [] };
  for (const p of matchFrames(a, b)) {
    const fa = p.a === null ? null : a[p.a];
    const fb = p.b === null ? null : b[p.b];
    if (fa && fb) {
      result.matched++;
      const headers = headerChanges(fa.headers, fb.headers, ignored);
      const body = sameBody(fa, fb)
        ? null
        : {
            a: { length: fa.bodyLength, digest: fa.bodyDigest, text: fa.bodyText ?? null },
            b: { length: fb.bodyLength, digest: fb.bodyDigest, text: fb.bodyText ?? null },
          };
      if (headers.length || body) {
        result.changed++;
        result.differences.push({ kind: 'changed', key: p.label, command: fa.command, a: fa.seq, b: fb.seq, ...numbers(fa, fb), headers, body });
      }
    } else if (fa) {
      result.missing++;
      result.differences.push({ kind: 'missing', key: p.label, command: fa.command, a: fa.seq, b: null, ...numbers(fa, null), headers: [], body: null });
    } else if (fb) {
      result.extra++;
      result.differences.push({ kind: 'extra', key: p.label, command: fb.command, a: null, b: fb.seq, ...numbers(null, fb), headers: [], body: null });
    }
  }
  return result;
}

/**
 * The diff with the values of credential headers (shared/stomp/secrets.ts) replaced by MASK, and credentials
 * quoted inside other values masked in place (maskText): what the CLI and the UI show unless asked to reveal.
 * The comparison itself ran on the recorded values, so a credential that changed is still listed as changed,
 * only not shown.
 */
export function maskDiff(d: BrokerDiff): BrokerDiff {
  const mask = (name: string, v: string | null) => (v === null ? null : isSecretHeader(name) ? MASK : maskText(v));
  return {
    ...d,
    differences: d.differences.map((x) => (x.headers.length
      ? { ...x, headers: x.headers.map((h) => ({ name: h.name, a: mask(h.name, h.a), b: mask(h.name, h.b) })) }
      : x)),
  };
}
