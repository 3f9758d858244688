// Turns a recorded connection into replay steps: which client frames to send, in what order, after which
// answers and after how long. Reads the store only; sends nothing.
//
// "Where the original waited" is read off the recording: every CONNECTED, RECEIPT and MESSAGE the client had
// received before sending a frame (the broker frames between the previous client frame and this one, in
// capture order) becomes a condition the replay must meet before sending it: CONNECTED, the RECEIPT with the
// same receipt-id (receipt ids are kept, STOMP 1.2 §Header receipt), or at least n MESSAGEs on the same
// subscription. ERROR frames are not waited for: the point of a replay is often to see whether one comes.
import { MessageOrdinals } from '../../../shared/correlate/ack.js';
import { headerValue, interpretHeaders, type Header } from '../../../shared/stomp/escape.js';
import { CLIENT_COMMANDS } from '../../../shared/stomp/spec.js';
import type { RawHeader, StompVersion } from '../../../shared/stomp/types.js';
import type { ConnectionInfo, StoreReader } from '../store/reader.js';

/** The client commands STOMP defines (STOMP 1.2 §Client Frames): the ones a replay sends. */
export const REPLAYED_COMMANDS: ReadonlySet<string> = new Set(CLIENT_COMMANDS);

export interface RecordedFrame {
  seq: number;
  /** The frame's number within its session (what the UI and the CLI show). */
  number: number;
  from: 'client' | 'broker';
  /** µs since the epoch. */
  time: number;
  command: string;
  rawHeaders: RawHeader[];
  /** Interpreted per the recorded connection's version (CONNECT/STOMP/CONNECTED never escaped). */
  headers: Header[];
  crlf: boolean;
  offset: number;
  length: number;
  bodyOffset: number;
  bodyLength: number;
}

export type Condition =
  | { kind: 'connected'; time: number }
  | { kind: 'receipt'; id: string; n: number; time: number }
  | { kind: 'message'; subscription: string; n: number; time: number };

export interface Step {
  frame: RecordedFrame;
  /** Answers to wait for before sending (those the original received since its previous frame). */
  wait: Condition[];
  /** Recorded pause before this frame, in µs, counted from the previous frame or the last awaited answer. */
  gap: number;
  /** For ACK/NACK: the MESSAGE it named, as subscription + ordinal; 'unknown' when it named none recorded. */
  ackOf: { subscription: string; n: number } | 'unknown' | null;
}

export interface Plan {
  connection: ConnectionInfo;
  version: StompVersion | null;
  steps: Step[];
  /** Client frames left out (not a command STOMP defines), by seq. */
  skipped: RecordedFrame[];
  /** Answers the original received after its last replayed frame: awaited before closing. */
  finalWait: Condition[];
}

export function describeCondition(c: Condition): string {
  if (c.kind === 'connected') return 'CONNECTED';
  if (c.kind === 'receipt') return `RECEIPT ${c.id}${c.n > 1 ? ` (${c.n})` : ''}`;
  return `MESSAGE #${c.n} on subscription ${c.subscription || '(none)'}`;
}

/** Loads one recorded connection's frames (both directions) in capture order. */
export function loadFrames(reader: StoreReader, conn: ConnectionInfo): RecordedFrame[] {
  const out: RecordedFrame[] = [];
  for (const f of reader.frames({ connection: conn.id })) {
    out.push({
      seq: f.seq, number: f.number, from: f.from, time: f.time, command: f.command, rawHeaders: f.rawHeaders,
      headers: interpretHeaders(f.command, f.rawHeaders, conn.version).headers, crlf: f.crlf,
      offset: f.offset, length: f.length, bodyOffset: f.bodyOffset, bodyLength: f.bodyLength,
    });
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/** Builds the steps for frames up to `until` (a seq, inclusive), or all. */
export function planReplay(conn: ConnectionInfo, frames: readonly RecordedFrame[], until: number | null = null): Plan {
  const version = conn.version;
  const ordinals = new MessageOrdinals(version);
  const receipts = new Map<string, number>();
  let connected = 0;
  let pending: Condition[] = [];
  let prevTime: number | null = null;
  const steps: Step[] = [];
  const skipped: RecordedFrame[] = [];
  for (const f of frames) {
    if (f.from === 'broker') {
      if (f.command === 'CONNECTED') {
        if (++connected === 1) pending.push({ kind: 'connected', time: f.time });
      } else if (f.command === 'RECEIPT') {
        const id = headerValue(f.headers, 'receipt-id');
        if (id !== undefined) {
          const n = (receipts.get(id) ?? 0) + 1;
          receipts.set(id, n);
          pending.push({ kind: 'receipt', id, n, time: f.time });
        }
      } else if (f.command === 'MESSAGE') {
        const at = ordinals.add(f.headers);
        pending.push({ kind: 'message', subscription: at.subscription, n: at.n, time: f.time });
      }
      continue;
    }
    if (until !== null && f.seq > until) break;
    if (!REPLAYED_COMMANDS.has(f.command)) {
      skipped.push(f);
      continue;
    }
    // Several MESSAGEs of one subscription in a row: only the last one matters (n is cumulative).
    const wait = compact(pending);
    pending = [];
    const anchor = Math.max(prevTime ?? f.time, ...wait.map((c) => c.time));
    let ackOf: Step['ackOf'] = null;
    if (f.command === 'ACK' || f.command === 'NACK') ackOf = ordinals.resolve(f.headers) ?? 'unknown';
    steps.push({ frame: f, wait, gap: Math.max(0, f.time - anchor), ackOf });
    prevTime = f.time;
  }
  return { connection: conn, version, steps, skipped, finalWait: compact(pending) };
}

function compact(conds: Condition[]): Condition[] {
  const lastMessage = new Map<string, Condition>();
  const out: Condition[] = [];
  for (const c of conds) {
    if (c.kind === 'message') lastMessage.set(c.subscription, c);
    else out.push(c);
  }
  return [...out, ...lastMessage.values()];
}
