// Credentials on the wire (CONNECT's login and passcode, token-like headers some brokers and gateways use)
// are shown masked in the UI and in exports unless the user asks to see them. The recording itself keeps
// the wire truth: masking is a view, like unescaping.

export const MASK = '********';

const SECRET_NAME = /^(login|passcode|password|passwd|authorization|proxy-authorization|api[-_]?key|.*token.*|.*secret.*)$/i;

/** Is a header (by name) a credential? */
export function isSecretHeader(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** The headers with credential values replaced by MASK; the same array when there is nothing to mask. */
export function maskHeaders<H extends readonly [string, string]>(headers: readonly H[]): H[] {
  if (!headers.some((h) => isSecretHeader(h[0]))) return headers as H[];
  return headers.map((h) => (isSecretHeader(h[0]) ? ([h[0], MASK] as unknown as H) : h));
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const STAR = 0x2a;

/**
 * A copy of a frame's raw bytes with the value bytes of credential header lines overwritten by '*', each
 * byte in place, so that offsets and lengths (hex dumps) stay true. Only the header block is touched: the
 * scan stops at the blank line that ends it.
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
    const colon = bytes.indexOf(COLON, start);
    if (colon > start && colon < contentEnd) {
      let name = '';
      for (let i = start; i < colon; i++) name += String.fromCharCode(bytes[i]);
      if (isSecretHeader(name)) {
        out ??= bytes.slice();
        out.fill(STAR, colon + 1, contentEnd);
      }
    }
    if (last) break;
    start = end + 1;
  }
  return out ?? bytes;
}
