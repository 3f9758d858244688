// Building the bytes of a replayed client frame: the recorded bytes when nothing changes, else the recorded
// frame with some header values rewritten and escaped for the version the replay negotiated.
import { ackIdentityFor, ackIdentityHeaders } from '../../../shared/correlate/ack.js';
import { encodeFrame } from '../../../shared/stomp/encoder.js';
import { escapeValue, headerValue, isEscapedCommand, type Header } from '../../../shared/stomp/escape.js';
import type { RawHeader, StompVersion } from '../../../shared/stomp/types.js';
import type { RecordedFrame } from './plan.js';

/** Passcode values that a recording holds in place of the real one (redacted before it reached us). */
const MASKED = /^(\*+|x{3,}|<[a-z ]*>|\[[a-z ]*\]|(masked|redacted|hidden|secret))$/i;

export class ReplayRefused extends Error {}

/**
 * The CONNECT/STOMP headers to send, with --login/--passcode applied. A passcode the recording only holds
 * masked (all '*', a "<redacted>"-like marker, or no passcode although a login was given) is never sent:
 * without an explicit passcode the replay is refused before anything is connected.
 */
export function connectHeaders(recorded: readonly Header[], login: string | undefined, passcode: string | undefined): Header[] {
  const out: Header[] = recorded.map(([n, v]) => [n, v]);
  const set = (name: string, value: string) => {
    // CONNECT headers are never escaped (STOMP 1.2 §Value Encoding), so a line feed or NUL cannot be carried.
    if (/[\n\r\0]/.test(value)) throw new ReplayRefused(`--${name}: a CONNECT header value cannot contain a line break or NUL`);
    const i = out.findIndex(([n]) => n === name);
    if (i >= 0) out[i] = [name, value];
    else out.push([name, value]);
  };
  if (login !== undefined) set('login', login);
  if (passcode !== undefined) {
    set('passcode', passcode);
    return out;
  }
  const recordedPasscode = headerValue(recorded, 'passcode');
  if (recordedPasscode !== undefined && MASKED.test(recordedPasscode)) {
    throw new ReplayRefused('the recorded passcode is masked; give it with --passcode (and --login if needed)');
  }
  if (recordedPasscode === undefined && headerValue(recorded, 'login') !== undefined) {
    throw new ReplayRefused('the recording has a login but no passcode (removed when recorded?); give it with --passcode');
  }
  return out;
}

/** Rewrites `destination` through the map (exact names; STOMP 1.2 §SEND, §SUBSCRIBE; 1.0 UNSUBSCRIBE too). */
export function mapDestination(headers: Header[], map: ReadonlyMap<string, string>): Header[] {
  if (map.size === 0) return headers;
  let done = false;
  return headers.map(([n, v]) => {
    // First header wins (STOMP 1.2 §Repeated Header Entries): a repeat is left as recorded, and ignored.
    if (n !== 'destination' || done) return [n, v];
    done = true;
    const to = map.get(v);
    return [n, to ?? v];
  });
}

/**
 * An ACK/NACK pointed at the replay's own MESSAGE: the identification headers of the recorded version are
 * replaced, in place, by those the replay's version needs (1.2 `id` = the MESSAGE's `ack`; 1.1 `message-id`
 * + `subscription`; 1.0 `message-id`: STOMP 1.2 §ACK, STOMP 1.1 §ACK, STOMP 1.0 §ACK). Other headers
 * (transaction, receipt) are kept. Null when the MESSAGE lacks what the version needs.
 */
export function remapAck(
  headers: readonly Header[], recordedVersion: StompVersion | null, replayVersion: StompVersion | null,
  message: readonly (readonly [string, string])[], subscription: string,
): Header[] | null {
  const identity = ackIdentityFor(replayVersion, message, subscription);
  if (identity === null) return null;
  const wanted = new Map(identity);
  const old = new Set([...ackIdentityHeaders(recordedVersion), ...ackIdentityHeaders(replayVersion)]);
  const out: Header[] = [];
  const placed = new Set<string>();
  for (const [n, v] of headers) {
    if (wanted.has(n)) {
      if (!placed.has(n)) {
        out.push([n, wanted.get(n)!]);
        placed.add(n);
      }
    } else if (!old.has(n)) out.push([n, v]);
  }
  const missing = identity.filter(([n]) => !placed.has(n));
  return [...missing, ...out];
}

function sameHeaders(a: readonly Header[], b: readonly Header[]): boolean {
  return a.length === b.length && a.every(([n, v], i) => b[i][0] === n && b[i][1] === v);
}

/**
 * The bytes to send for a recorded frame with (possibly) new headers. The recorded bytes are reused when the
 * headers are unchanged and their escaped form means the same in the replay's version; otherwise the frame
 * is re-encoded: headers escaped for `replayVersion` (never for CONNECT/STOMP), body and line endings kept.
 * `raw` and `body` read the store lazily; either returns null when the bytes were never recorded.
 */
export function frameBytes(
  f: RecordedFrame, headers: readonly Header[], recordedVersion: StompVersion | null, replayVersion: StompVersion | null,
  raw: () => Uint8Array | null, body: () => Uint8Array | null,
): Uint8Array | null {
  const escaped = isEscapedCommand(f.command);
  const sameEscaping = !escaped || escapingOf(recordedVersion) === escapingOf(replayVersion) || !f.rawHeaders.some(([n, v]) => n.includes('\\') || v.includes('\\'));
  if (sameHeaders(headers, f.headers) && sameEscaping) return raw();
  const b = body();
  if (b === null) return null;
  const version = escaped ? replayVersion : null;
  const wire: RawHeader[] = headers.map(([n, v]) => [escapeValue(n, version), escapeValue(v, version)]);
  return encodeFrame({ command: f.command, headers: wire, body: b, crlf: f.crlf });
}

function escapingOf(v: StompVersion | null): string {
  return v === null || v === '1.0' ? 'none' : v;
}
