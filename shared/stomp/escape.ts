// Header escaping by protocol version: a view on top of the raw headers the decoder keeps.
//
// The escapes of each version are HEADER_ESCAPES (spec.ts: STOMP 1.1 and 1.2 §Value Encoding). Escaping applies to
// header names and values alike, except in the UNESCAPED_COMMANDS frames (CONNECT, CONNECTED and STOMP), which
// are never escaped so that 1.0 peers can still negotiate. Any other backslash
// sequence is undefined and "MUST be treated as a fatal protocol error": we report it (`undefined-escape`)
// and keep the sequence as it was, so the view still shows what was sent.

import { makeIssue } from '../issues.js';
import { HEADER_ESCAPES, UNESCAPED_COMMANDS } from './spec.js';
import type { RawHeader, StompVersion, WireIssue } from './types.js';

/** A header after unescaping: plain name and value. */
export type Header = [name: string, value: string];

/** Called for each undefined escape: the sequence as sent (`\t`, or a lone trailing `\`) and its index. */
export type UndefinedEscapeHandler = (sequence: string, index: number) => void;

const UNESCAPED = new Set<string>(UNESCAPED_COMMANDS);

/** Whether `command`'s headers are escaped: all but the UNESCAPED_COMMANDS (STOMP 1.2 §Value Encoding). */
export function isEscapedCommand(command: string): boolean {
  return !UNESCAPED.has(command);
}

type EscapingVersion = keyof typeof HEADER_ESCAPES;
/** Per version: the character each escape letter stands for (`n` → LF). */
const UNESCAPES = {} as Record<EscapingVersion, ReadonlyMap<string, string>>;
/** Per version: each escaped character's escape sequence (LF → `\n`), and a pattern matching those characters. */
const ESCAPES = {} as Record<EscapingVersion, { table: Readonly<Record<string, string>>; re: RegExp }>;
for (const v of Object.keys(HEADER_ESCAPES) as EscapingVersion[]) {
  const pairs = HEADER_ESCAPES[v];
  UNESCAPES[v] = new Map(pairs.map(([char, letter]) => [letter, char]));
  const table: Record<string, string> = {};
  for (const [char, letter] of pairs) table[char] = '\\' + letter;
  ESCAPES[v] = { table, re: new RegExp(`[${pairs.map(([char]) => char.replace(/[\\\]^-]/g, '\\$&')).join('')}]`, 'g') };
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
  const unescapes = UNESCAPES[version];
  let out = '';
  let from = 0;
  while (i >= 0) {
    out += raw.slice(from, i);
    const next = i + 1 < raw.length ? raw[i + 1] : null;
    const decoded = next === null ? undefined : unescapes.get(next);
    if (decoded !== undefined) {
      out += decoded;
      from = i + 2;
    } else {
      // Kept as sent: the backslash and the character after it (if any).
      const seq = next === null ? '\\' : raw.slice(i, i + 2);
      onUndefined?.(seq, i);
      out += seq;
      from = i + seq.length;
    }
    i = raw.indexOf('\\', from);
  }
  return out + raw.slice(from);
}

/** Escapes one header name or value as `version` defines it (1.0: unchanged). */
export function escapeValue(value: string, version: StompVersion | null): string {
  if (version === null || version === '1.0') return value;
  const { table, re } = ESCAPES[version];
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
