// Credentials on the wire (CONNECT's login and passcode, token-like headers some brokers and gateways use)
// are shown masked in the UI and in exports unless the user asks to see them. The recording itself keeps
// the wire truth: masking is a view, like unescaping.

import { COLON, CR, LF } from './spec.js';

export const MASK = '********';

/**
 * Header (and URL query parameter) names whose values are credentials, matched whole and case-insensitively:
 *   login, passcode               CONNECT's credentials (STOMP 1.2 §CONNECT or STOMP Frame)
 *   *password*, *passwd*, passphrase, *pass, *pwd
 *   *token*, *secret*, *jwt*, *credential(s)
 *   *api-key*, *api_key*, *apikey*, *access-key*, *private-key*   (x-api-key, X-API-KEY, apiKey, ...)
 *   authorization, proxy-authorization, *-authorization, auth, *-auth    (RFC 9110 §11.6.2, §11.7.2)
 *   cookie, set-cookie             (RFC 6265 §4: a cookie is as good as a login)
 *   *session-id, *sessionid, *session_id   (a web session's bearer id, e.g. JSESSIONID)
 *   *signature                      (signed URLs: X-Amz-Signature, sig tokens)
 * Deliberately not: STOMP's own `session` (CONNECTED, STOMP 1.2 §CONNECTED: an identifier, not a credential),
 * `message-id`, `subscription`, `receipt`, `ack`, `id`, `routing-key` and other *-key names that route rather
 * than authenticate.
 */
const SECRET_NAME = new RegExp('^(?:' + [
  'login', 'passcode', 'passphrase', '.*passw(?:or)?d.*', '(?:.*[-_])?pass', '(?:.*[-_])?pwd',
  '.*token.*', '.*secret.*', '.*jwt.*', '.*credentials?',
  '.*api[-_]?key.*', '.*access[-_]?key.*', '.*private[-_]?key.*',
  '(?:.*[-_])?authorization', '(?:.*[-_])?auth',
  'cookie', 'set-cookie', 'cookie2', 'set-cookie2',
  '.*session[-_]?id', '.*signature',
].join('|') + ')$', 'i');

/**
 * A cheap prefilter: false means no name in `text` (e.g. a frame's stored headers as JSON) can be a credential,
 * so the text needs no closer look. Every name SECRET_NAME accepts contains one of these words.
 */
const MAYBE_SECRET = /login|pass|pwd|token|secret|jwt|credential|key|auth|cookie|session|signature/i;

/** Is a header (by name) a credential? */
export function isSecretHeader(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** May `text` (any text holding header names) name a credential? False only when it surely does not. */
export function mayHoldSecret(text: string): boolean {
  return MAYBE_SECRET.test(text);
}

/**
 * `name=` or `name: ` inside free text (a broker's ERROR `message` quoting the line it could not parse,
 * `Unable to parse header line [passcode=…]`): group 1 the name. In a raw header value the colon may be
 * escaped as `\\c` (STOMP 1.2 §Value Encoding). The value that follows a credential's name runs up to a space,
 * a bracket, a quote or a separator.
 */
const QUOTED_NAME = /(?<![A-Za-z0-9_-])([A-Za-z0-9_-]+)\s*(?:[=:]|\\c)\s*/;
const VALUE_END = /[\s[\]"'(),;&<>\\]/;

/** Where `text` quotes a credential's value (start, end of each value), for masking in place. */
function quotedSecrets(text: string): Array<[number, number]> {
  if (!mayHoldSecret(text)) return [];
  const out: Array<[number, number]> = [];
  const re = new RegExp(QUOTED_NAME.source, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (!isSecretHeader(m[1])) continue; // the search goes on right after the separator: `bad: token=…`
    const start = m.index + m[0].length;
    let end = start;
    while (end < text.length && !VALUE_END.test(text[end])) end++;
    if (end > start) out.push([start, end]);
    re.lastIndex = end;
  }
  return out;
}

/**
 * Free text (a header value that is not itself a credential, an ERROR body, a message quoting wire text) with
 * the values of the credentials it quotes as `name=value` or `name: value` replaced by MASK.
 */
export function maskText(text: string): string {
  const ranges = quotedSecrets(text);
  if (!ranges.length) return text;
  let out = '';
  let at = 0;
  for (const [a, b] of ranges) {
    out += text.slice(at, a) + MASK;
    at = b;
  }
  return out + text.slice(at);
}

/**
 * The headers with credential values replaced by MASK, and credentials quoted inside other values masked too
 * (maskText); the same array when there is nothing to mask.
 */
export function maskHeaders<H extends readonly [string, string]>(headers: readonly H[]): H[] {
  const masked = (h: H): string => (isSecretHeader(h[0]) ? MASK : maskText(h[1]));
  if (!headers.some((h) => masked(h) !== h[1])) return headers as H[];
  return headers.map((h) => {
    const v = masked(h);
    return v === h[1] ? h : ([h[0], v] as unknown as H);
  });
}

const STAR = 0x2a;
/** Characters of the credential names SECRET_NAME knows. */
const NAME_CHAR = /[A-Za-z0-9_-]/;

/**
 * A copy of a frame's raw bytes with the value bytes of credential header lines overwritten by '*', each
 * byte in place, so that offsets and lengths (hex dumps) stay true. Only the header block is touched: the
 * scan stops at the blank line that ends it. A line without ':' whose leading name is a credential's
 * (`passcode=…`, a mistyped separator) is masked after that name too: it stays a line without ':'. Credentials
 * quoted inside other values (maskText) are masked in place.
 */
export function maskRawFrame(bytes: Uint8Array): Uint8Array {
  let out: Uint8Array | null = null;
  const line = bytes.indexOf(LF); // skip the command line
  if (line < 0) return bytes;
  let start = line + 1;
  // A NUL ends the frame, also inside its headers (a malformed frame cut short): it and what follows it are
  // never masked, or the masked copy would decode as other frames than the original.
  const nul = bytes.indexOf(0, start);
  while (start < bytes.length) {
    let end = bytes.indexOf(LF, start);
    if (end < 0) end = bytes.length;
    const last = nul >= 0 && nul < end;
    if (last) end = nul;
    const contentEnd = end > start && bytes[end - 1] === CR ? end - 1 : end;
    if (contentEnd === start) break; // blank line: the body follows
    let colon = bytes.indexOf(COLON, start);
    if (colon < 0 || colon >= contentEnd) {
      // Not a header line (STOMP 1.2 §Augmented BNF), but `passcode=…` or `passcode …` is still a passcode:
      // the name ends at the first character that cannot be part of one.
      colon = start;
      while (colon < contentEnd && NAME_CHAR.test(String.fromCharCode(bytes[colon]))) colon++;
      if (colon === contentEnd) colon = -1;
    }
    if (colon > start) {
      let name = '';
      for (let i = start; i < colon; i++) name += String.fromCharCode(bytes[i]);
      if (isSecretHeader(name)) {
        out ??= bytes.slice();
        out.fill(STAR, colon + 1, contentEnd);
      } else {
        // A value quoting a credential (maskText), masked byte for byte: one character per byte read as Latin-1.
        let value = '';
        for (let i = colon + 1; i < contentEnd; i++) value += String.fromCharCode(bytes[i]);
        for (const [a, b] of quotedSecrets(value)) {
          out ??= bytes.slice();
          out.fill(STAR, colon + 1 + a, colon + 1 + b);
        }
      }
    }
    if (last) break;
    start = end + 1;
  }
  return out ?? bytes;
}
