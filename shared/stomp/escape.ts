// Header escaping by protocol version: a view on top of the raw headers the decoder keeps.
//
// STOMP 1.0 has no escaping. STOMP 1.1 §Value Encoding defines \n (LF), \c (colon) and \\ (backslash);
// STOMP 1.2 §Value Encoding adds \r (CR). Escaping applies to header names and values alike, except in CONNECT
// and CONNECTED frames, which are never escaped so that 1.0 peers can still negotiate. Any other backslash
// sequence is undefined and "MUST be treated as a fatal protocol error": we report it (`undefined-escape`)
// and keep the sequence as it was, so the view still shows what was sent.

import { makeIssue } from '../issues.js';
import type { RawHeader, StompVersion, WireIssue } from './types.js';

/** A header after unescaping: plain name and value. */
export type Header = [name: string, value: string];

/** Called for each undefined escape: the sequence as sent (`\t`, or a lone trailing `\`) and its index. */
export type UndefinedEscapeHandler = (sequence: string, index: number) => void;

/**
 * Frames whose headers are never escaped (STOMP 1.2 §Value Encoding names CONNECT and CONNECTED). STOMP is
 * the 1.2 spelling of CONNECT (§Connecting) and brokers such as RabbitMQ read it the same way, so its
 * headers are not escaped either: a passcode containing a backslash must come out as sent.
 */
export function isEscapedCommand(command: string): boolean {
  return command !== 'CONNECT' && command !== 'CONNECTED' && command !== 'STOMP';
}

/**
 * Unescapes one header name or value as `version` defines it. `null` (no version negotiated yet) reads the
 * value as 1.0 does: unchanged.
 */
export function unescapeValue(
  raw: string,
  version: StompVersion | null,
  onUndefined?: UndefinedEscapeHandler,
): string {
  if (version === null || version === '1.0') return raw;
  let i = raw.indexOf('\\');
  if (i < 0) return raw; // the common case: nothing to do, no allocation
  const cr = version !== '1.1';
  let out = '';
  let from = 0;
  while (i >= 0) {
    out += raw.slice(from, i);
    const next = i + 1 < raw.length ? raw.charCodeAt(i + 1) : -1;
    let decoded: string | null = null;
    if (next === 0x6e /* n */) decoded = '\n';
    else if (next === 0x63 /* c */) decoded = ':';
    else if (next === 0x5c /* \ */) decoded = '\\';
    else if (next === 0x72 /* r */ && cr) decoded = '\r';
    if (decoded !== null) {
      out += decoded;
      from = i + 2;
    } else {
      // Kept as sent: the backslash and the character after it (if any).
      const seq = next < 0 ? '\\' : raw.slice(i, i + 2);
      onUndefined?.(seq, i);
      out += seq;
      from = i + seq.length;
    }
    i = raw.indexOf('\\', from);
  }
  return out + raw.slice(from);
}

const ESCAPES_11: Record<string, string> = { '\\': '\\\\', '\n': '\\n', ':': '\\c' };
const ESCAPES_12: Record<string, string> = { ...ESCAPES_11, '\r': '\\r' };

/** Escapes one header name or value as `version` defines it (1.0: unchanged). */
export function escapeValue(value: string, version: StompVersion | null): string {
  if (version === null || version === '1.0') return value;
  const table = version === '1.1' ? ESCAPES_11 : ESCAPES_12;
  const re = version === '1.1' ? /[\\\n:]/g : /[\\\n\r:]/g;
  return value.replace(re, (c) => table[c]);
}

export interface InterpretedHeaders {
  headers: Header[];
  issues: WireIssue[];
}

/**
 * The per-version view of a frame's raw headers: unescaped names and values, order and repeats kept.
 * `offset` (the frame's offset) places any `undefined-escape` issue.
 */
export function interpretHeaders(
  command: string,
  raw: readonly RawHeader[],
  version: StompVersion | null,
  offset = 0,
): InterpretedHeaders {
  const issues: WireIssue[] = [];
  const headers: Header[] = new Array(raw.length);
  if (!isEscapedCommand(command) || version === null || version === '1.0') {
    for (let i = 0; i < raw.length; i++) headers[i] = [raw[i][0], raw[i][1]];
    return { headers, issues };
  }
  for (let i = 0; i < raw.length; i++) {
    const [rawName, rawValue] = raw[i];
    const report =
      (where: string): UndefinedEscapeHandler =>
      (seq) =>
        issues.push(
          makeIssue(
            'undefined-escape',
            `undefined escape ${JSON.stringify(seq)} in the ${where} of header ${JSON.stringify(rawName)} (STOMP ${version})`,
            offset,
          ),
        );
    headers[i] = [unescapeValue(rawName, version, report('name')), unescapeValue(rawValue, version, report('value'))];
  }
  return { headers, issues };
}

/**
 * The value of header `name`, or undefined. When a header is repeated the first one wins
 * (STOMP 1.2 §Repeated Header Entries). Works on raw and interpreted headers alike.
 */
export function headerValue(headers: readonly (readonly [string, string])[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i++) if (headers[i][0] === name) return headers[i][1];
  return undefined;
}

/** Every value of header `name`, in wire order (repeats are legal; only the first one counts). */
export function headerValues(headers: readonly (readonly [string, string])[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i++) if (headers[i][0] === name) out.push(headers[i][1]);
  return out;
}
