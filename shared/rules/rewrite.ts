// The frames rules write: a matched frame rewritten (set-header, remove-header, replace-body, map-destination) and
// frames made up (reply, inject). Headers are escaped for the connection's negotiated version (STOMP 1.2 §Value
// Encoding; never in CONNECT, CONNECTED and STOMP frames), and a body's content-length is kept true (§Header
// content-length). Pure: bytes in, bytes out.
import { buildFrame, encodeFrame } from '../stomp/encoder.js';
import { escapeValue, isEscapedCommand, unescapeValue } from '../stomp/escape.js';
import { CONTENT_LENGTH } from '../stomp/spec.js';
import type { RawHeader, StompVersion } from '../stomp/types.js';
import type { CompiledRule } from './rules.js';

export interface FrameParts {
  command: string;
  /** Wire form (escaped), in order, with repeats. */
  headers: readonly RawHeader[];
  body: Uint8Array | null;
  crlf: boolean;
}

/** Thrown when a value cannot be put on the wire in the connection's version (a line feed in STOMP 1.0). */
export class RewriteError extends Error {}

function encodeHeaderPart(text: string, command: string, version: StompVersion | null): string {
  const v = escapeValue(text, isEscapedCommand(command) ? version : '1.0');
  if (/[\n\0]/.test(v) || v.endsWith('\r')) throw new RewriteError(`${JSON.stringify(text)} cannot be a header of ${command} in STOMP ${version ?? '1.0'}`);
  return v;
}

/** The headers with `name` (plain) set to `value` (plain): the first occurrence replaced, repeats removed, else appended. */
export function setHeader(f: FrameParts, version: StompVersion | null, name: string, value: string): RawHeader[] {
  const escaping = isEscapedCommand(f.command) ? version : '1.0';
  const rawName = encodeHeaderPart(name, f.command, version);
  if (rawName.includes(':')) throw new RewriteError(`${JSON.stringify(name)} cannot be a header name of ${f.command} in STOMP ${version ?? '1.0'}`);
  const rawValue = encodeHeaderPart(value, f.command, version);
  const out: RawHeader[] = [];
  let done = false;
  for (const [n, v] of f.headers) {
    if (unescapeValue(n, escaping) !== name) out.push([n, v]);
    else if (!done) {
      out.push([rawName, rawValue]);
      done = true;
    }
  }
  if (!done) out.push([rawName, rawValue]);
  return out;
}

export function removeHeader(f: FrameParts, version: StompVersion | null, name: string): RawHeader[] {
  const escaping = isEscapedCommand(f.command) ? version : '1.0';
  return f.headers.filter(([n]) => unescapeValue(n, escaping) !== name);
}

/** The frame's bytes after `rule`'s rewrite (set-header, remove-header, replace-body, map-destination). */
export function rewriteFrame(f: FrameParts, version: StompVersion | null, rule: CompiledRule): Uint8Array {
  const r = rule.rule;
  let headers: readonly RawHeader[] = f.headers;
  let body = f.body ?? new Uint8Array(0);
  switch (r.do) {
    case 'set-header':
      headers = setHeader(f, version, r.header!, r.value!);
      break;
    case 'remove-header':
      headers = removeHeader(f, version, r.header!);
      break;
    case 'map-destination':
      headers = setHeader(f, version, 'destination', r.to!);
      break;
    case 'replace-body': {
      body = rule.bodyBytes ?? new Uint8Array(0);
      // A content-length that was there is kept true; a body with a NUL cannot go without one.
      const had = f.headers.some(([n]) => n === CONTENT_LENGTH);
      if (had || body.includes(0)) headers = setHeader({ ...f, headers }, version, CONTENT_LENGTH, String(body.length));
      break;
    }
    default:
      throw new Error(`${r.do} does not rewrite a frame`);
  }
  return encodeFrame({ command: f.command, headers, body, crlf: f.crlf });
}

/** The frame a reply or inject rule makes up, escaped for `version`. */
export function synthesizedFrame(rule: CompiledRule, version: StompVersion | null): Uint8Array {
  const r = rule.rule;
  try {
    return buildFrame(version, r.command!, r.headers ?? [], rule.bodyBytes, { contentLength: rule.bodyBytes !== null && rule.bodyBytes.length > 0 ? true : 'auto' });
  } catch (e) {
    throw new RewriteError((e as Error).message);
  }
}
