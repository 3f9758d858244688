// Frame encoding: the inverse of the decoder.
//
// encodeFrame writes headers exactly as given (already in wire form), so encoding a decoded frame reproduces
// its raw bytes: command EOL *(header EOL) EOL body NUL (STOMP 1.2 §STOMP Frames). buildFrame is for frames we
// compose ourselves (replay, resend): it takes plain header values and escapes them for the version.

import { escapeValue, headerValue, isEscapedCommand, type Header } from './escape.js';
import { CONTENT_LENGTH } from './spec.js';
import type { RawHeader, StompVersion } from './types.js';

const encoder = new TextEncoder();

export interface EncodableFrame {
  command: string;
  /** Wire form: written as given, no escaping, no checks. */
  headers: readonly RawHeader[];
  body?: Uint8Array | string | null;
  /** End lines with CRLF instead of LF (STOMP 1.2 only). */
  crlf?: boolean;
}

function bodyBytes(body: Uint8Array | string | null | undefined): Uint8Array {
  if (body === undefined || body === null) return new Uint8Array(0);
  return typeof body === 'string' ? encoder.encode(body) : body;
}

/** The wire bytes of a frame whose headers are already in wire form. */
export function encodeFrame(frame: EncodableFrame): Uint8Array {
  const eol = frame.crlf ? '\r\n' : '\n';
  let head = frame.command + eol;
  const headers = frame.headers;
  for (let i = 0; i < headers.length; i++) head += headers[i][0] + ':' + headers[i][1] + eol;
  head += eol;
  const headBytes = encoder.encode(head);
  const body = bodyBytes(frame.body);
  const out = new Uint8Array(headBytes.length + body.length + 1);
  out.set(headBytes, 0);
  out.set(body, headBytes.length);
  // out[last] is already 0: the NUL terminator.
  return out;
}

export interface BuildOptions {
  /**
   * Add a content-length header (the body's byte count) unless one is given. `'auto'` (the default) adds it
   * only when the body contains a NUL, which cannot be sent otherwise: ActiveMQ and Artemis turn a SEND with
   * content-length into a BytesMessage and one without into a TextMessage, so we don't add it unasked.
   */
  contentLength?: boolean | 'auto';
  crlf?: boolean;
}

/**
 * Builds a frame from plain (unescaped) headers, escaping names and values as `version` requires
 * (none for 1.0 and for CONNECT/CONNECTED frames).
 * Throws a RangeError for a header that cannot be put on the wire in that version (a line feed or NUL, a
 * carriage return where escaping cannot protect it, a colon in a name that cannot be escaped): this is our
 * own input, not peer bytes.
 */
export function buildFrame(
  version: StompVersion | null,
  command: string,
  headers: readonly Header[],
  body?: Uint8Array | string | null,
  options: BuildOptions = {},
): Uint8Array {
  const bytes = bodyBytes(body);
  const escaping = isEscapedCommand(command) ? version : '1.0';
  const raw: RawHeader[] = [];
  for (const [name, value] of headers) {
    const n = escapeValue(name, escaping);
    const v = escapeValue(value, escaping);
    if (/[\n\0]/.test(n + v) || n.includes('\r') || v.endsWith('\r') || n.includes(':')) {
      throw new RangeError(
        `header ${JSON.stringify(name)} cannot be encoded in ${command} for STOMP ${version ?? '1.0'}`,
      );
    }
    raw.push([n, v]);
  }
  const mode = options.contentLength ?? 'auto';
  if (headerValue(raw, CONTENT_LENGTH) === undefined && (mode === true || (mode === 'auto' && bytes.includes(0)))) {
    raw.push([CONTENT_LENGTH, String(bytes.length)]);
  }
  return encodeFrame({ command, headers: raw, body: bytes, crlf: options.crlf });
}
