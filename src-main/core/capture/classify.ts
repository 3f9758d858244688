// Which TCP flows carry STOMP, which side is the client, and where a stream picked up mid-way reaches its first
// frame boundary. Pure functions over bytes.

import { commandSender, CR, LF, LONGEST_COMMAND, NUL } from '../../../shared/stomp/spec.js';
import type { Direction } from '../../../shared/stomp/types.js';
import { HeadReader, isWebSocketUpgrade, parseRequestHead } from '../../../shared/websocket/http.js';
import { sockJsHttpTransport } from '../../../shared/websocket/sockjs.js';

/**
 * Ports whose flows are STOMP without looking: 61613 (IANA "stomp"-less but universal default), 61614
 * (STOMP over TLS at ActiveMQ and RabbitMQ; TLS is detected and reported, not decoded) and 61612 (Apollo,
 * Artemis's alternative). Any other port, 8080 included (STOMP over plain TCP on an HTTP port, as some
 * gateways do), is STOMP when its content says so; `--port N` adds to this list.
 */
export const DEFAULT_STOMP_PORTS: readonly number[] = [61613, 61614, 61612];

/** A STOMP command (client or broker) found at a candidate frame start. */
export interface CommandAt {
  /** Offset of the candidate frame start (heart-beat EOLs before the command included). */
  at: number;
  command: string;
  sender: Direction;
}

/**
 * Is there a known command line at `i` (after any heart-beat EOLs)? 'more' when the bytes run out first.
 */
function commandAt(b: Uint8Array, i: number): CommandAt | 'more' | null {
  const start = i;
  const n = b.length;
  while (i < n && (b[i] === LF || (b[i] === CR && (i + 1 >= n || b[i + 1] === LF)))) i += b[i] === CR ? 2 : 1;
  if (i >= n) return 'more';
  let j = i;
  while (j < n && j - i <= LONGEST_COMMAND && b[j] >= 0x41 && b[j] <= 0x5a) j++;
  if (j >= n) return 'more';
  if (j === i || j - i > LONGEST_COMMAND) return null;
  let eol = j;
  if (b[eol] === CR) {
    if (eol + 1 >= n) return 'more';
    eol++;
  }
  if (b[eol] !== LF) return null;
  let command = '';
  for (let k = i; k < j; k++) command += String.fromCharCode(b[k]);
  const sender = commandSender(command);
  return sender ? { at: start, command, sender } : null;
}

/** Does a stream that starts at its beginning open with a STOMP frame? ('more': not enough bytes yet). */
export function startsWithFrame(b: Uint8Array): CommandAt | 'more' | null {
  return commandAt(b, 0);
}

/**
 * The first frame boundary in bytes taken from the middle of a stream: a known command line right after a
 * frame's NUL (heart-beat EOLs may come between), or at `b[0]` when `atStart` (the very first captured byte
 * of the direction may well be a frame start). Returns the boundary, 'more' when a candidate runs past the end
 * of `b` (retry with more bytes from `retryFrom`), or null.
 */
export function findFrameBoundary(b: Uint8Array, atStart: boolean): CommandAt | { more: number } | null {
  if (atStart) {
    const c = commandAt(b, 0);
    if (c === 'more') return { more: 0 };
    if (c) return c;
  }
  let i = 0;
  while ((i = b.indexOf(NUL, i)) >= 0) {
    i++;
    const c = commandAt(b, i);
    if (c === 'more') return { more: i };
    if (c) return c;
  }
  return null;
}

/** A TLS record header (ContentType handshake 22, version 3.x): RFC 8446 §5.1. */
export function looksLikeTls(b: Uint8Array): boolean {
  return b.length >= 3 && b[0] === 0x16 && b[1] === 0x03 && b[2] <= 0x04;
}

/** An HTTP request or response line: a WebSocket upgrade (STOMP over WebSocket or SockJS), or plain HTTP. */
export function looksLikeHttp(b: Uint8Array): boolean {
  const s = String.fromCharCode(...b.subarray(0, 8));
  return /^(GET|POST|PUT|HEAD|HTTP\/)/.test(s);
}

/**
 * What an HTTP request at the start of a stream is: 'upgrade' (a WebSocket: STOMP over WebSocket or SockJS,
 * on any port; the ConnectionRecorder unwraps it), 'more' (the head is not complete yet), or plain HTTP with
 * what to say about it (SockJS over XHR and the like are named). Null when these bytes are no HTTP request.
 */
export function httpUpgrade(b: Uint8Array): 'upgrade' | 'more' | { http: string; sockjs: string | null } | null {
  const r = new HeadReader(parseRequestHead).push(b);
  if (r.kind === 'more') return 'more';
  if (r.kind === 'error') return null;
  if (isWebSocketUpgrade(r.head)) return 'upgrade';
  return { http: `${r.head.method} ${r.head.target.slice(0, 100)}`, sockjs: sockJsHttpTransport(r.head.target) };
}
