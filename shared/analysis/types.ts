// The model of the per-connection analysis: what it is fed (frames and heart-beats as the decoder saw them,
// with the ids the store gave them) and what it produces (links between frames, and findings).

import type { IssueCode } from '../issues.js';
import type { Direction, Severity } from '../stomp/types.js';

/**
 * Link kinds. Fixed names: stored in the links table and read by the UI and the report.
 *   connect         CONNECT/STOMP -> CONNECTED or ERROR
 *   receipt         frame with a receipt header -> RECEIPT (or ERROR) with that receipt-id
 *   subscription    SUBSCRIBE -> each MESSAGE of that subscription
 *   ack             MESSAGE -> the ACK/NACK that names it
 *   transaction     BEGIN -> COMMIT/ABORT
 *   in-transaction  BEGIN -> each SEND/ACK/NACK carrying that transaction
 *   delivery        SEND -> the MESSAGE it became (same session, any connection)
 */
export const LINK_KINDS = ['connect', 'receipt', 'subscription', 'ack', 'transaction', 'in-transaction', 'delivery'] as const;
export type LinkKind = (typeof LINK_KINDS)[number];

export interface Link {
  kind: LinkKind;
  fromFrameId: number;
  toFrameId: number;
  /** Microseconds from the first frame to the second. */
  latencyUs: number;
}

export interface Finding {
  code: IssueCode;
  severity: Severity;
  /** The frame the finding is about, or null (a heart-beat gap, a summary). */
  frameId: number | null;
  dir: Direction | null;
  /** Microseconds since the epoch: where the finding belongs in time. */
  time: number;
  message: string;
}

type Headers = readonly (readonly [string, string])[];

export interface AnalyzedFrame {
  /** The frame's id in the store (or any unique number). */
  id: number;
  dir: Direction;
  /** Microseconds since the epoch. */
  time: number;
  command: string;
  /** Raw headers as on the wire (escaped). */
  headers: Headers;
  /** The per-version view (unescaped), when the caller already has it; else the analyzer makes it. */
  view?: Headers;
  bodyLength: number;
  /** bodyFingerprint() of the body, or null when the body was not kept. Only SEND and MESSAGE need one. */
  bodyHash?: number | null;
  /** Byte offset and length in the direction's stream: tells a heart-beat that only ends a frame. */
  offset?: number;
  length?: number;
}

export interface AnalysisSink {
  link(l: Link): void;
  finding(f: Finding): void;
  /** The broker profile was detected (CONNECTED's server header). */
  profile?(name: string): void;
}
