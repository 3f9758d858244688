// The issue catalogue: every issue code StompScope reports, in one table, so that the decoder, the escaping
// view, the UI and the CLI agree on severity, title and explanation. Codes are stable identifiers: stored in
// the database, matched by filters and tests. Add new codes; never rename or reuse one.

import type { Severity, WireIssue } from './stomp/types.js';

export interface IssueInfo {
  severity: Severity;
  /** Short label for lists ("Content-length mismatch"). */
  title: string;
  /** What it means and why it matters, for the detail pane. */
  explanation: string;
  /** Where the rule comes from (a STOMP specification section, or a TCP/capture fact). */
  specRef: string;
}

const SPEC_12 = 'STOMP 1.2';

export const ISSUES = {
  // --- framing (decoder) ---
  garbage: {
    severity: 'error',
    title: 'Garbage between frames',
    explanation:
      'Bytes that are neither a frame nor a heart-beat. The decoder skipped them and resynchronised after the next NUL or at the next line holding a known command.',
    specRef: `${SPEC_12} §Augmented BNF (frame-stream = 1*frame)`,
  },
  'malformed-frame': {
    severity: 'error',
    title: 'Malformed frame',
    explanation:
      'The frame does not follow the grammar, e.g. its NUL terminator came before the blank line that ends the headers.',
    specRef: `${SPEC_12} §STOMP Frames`,
  },
  'malformed-header': {
    severity: 'error',
    title: 'Malformed header line',
    explanation:
      'A header line without a ":" (dropped from the header list) or with an empty name. Header lines are name ":" value.',
    specRef: `${SPEC_12} §Augmented BNF (header = header-name ":" header-value)`,
  },
  'bad-content-length': {
    severity: 'error',
    title: 'Bad content-length',
    explanation:
      'The content-length header is not a non-negative decimal byte count. The body was read up to the first NUL instead.',
    specRef: `${SPEC_12} §Header content-length`,
  },
  'content-length-mismatch': {
    severity: 'error',
    title: 'Content-length mismatch',
    explanation:
      'The byte after content-length bytes of body is not the NUL that must end the frame: the sender counted characters instead of bytes, or the length is simply wrong. The frame ends where content-length says; what follows up to the next NUL is reported as garbage.',
    specRef: `${SPEC_12} §Header content-length`,
  },
  'line-too-long': {
    severity: 'error',
    title: 'Header line too long',
    explanation:
      'A header line was longer than the decoder limit; it was skipped. Brokers enforce similar limits and usually drop the connection.',
    specRef: `${SPEC_12} §Size Limits`,
  },
  'too-many-headers': {
    severity: 'error',
    title: 'Too many headers',
    explanation: 'The frame has more header lines than the decoder limit; the extra ones were not kept.',
    specRef: `${SPEC_12} §Size Limits`,
  },
  'body-too-large': {
    severity: 'warning',
    title: 'Body too large to keep',
    explanation:
      'The body is larger than the decoder limit. It was skipped (its offset and length are still known) but not kept in memory.',
    specRef: `${SPEC_12} §Size Limits`,
  },
  'unknown-command': {
    severity: 'warning',
    title: 'Unknown command',
    explanation: 'The command is not one STOMP defines (commands are case-sensitive). The frame was decoded anyway.',
    specRef: `${SPEC_12} §Augmented BNF (client-command, server-command)`,
  },
  'truncated-frame': {
    severity: 'error',
    title: 'Truncated frame',
    explanation:
      'The stream ended, or a capture gap cut it, before the frame was complete (e.g. the NUL terminator never came).',
    specRef: `${SPEC_12} §STOMP Frames`,
  },
  'unexpected-body': {
    severity: 'warning',
    title: 'Body on a frame that must not have one',
    explanation: 'Only SEND, MESSAGE and ERROR frames may have a body; brokers may reject the frame.',
    specRef: `${SPEC_12} §Body`,
  },
  'mixed-line-endings': {
    severity: 'note',
    title: 'Mixed line endings',
    explanation: 'Some lines of the frame end with CRLF and others with LF. Legal in STOMP 1.2, but unusual.',
    specRef: `${SPEC_12} §STOMP Frames (EOL = [CR] LF)`,
  },
  'invalid-utf8': {
    severity: 'warning',
    title: 'Invalid UTF-8 in command or headers',
    explanation: 'Commands and headers are UTF-8; invalid bytes are shown as U+FFFD.',
    specRef: `${SPEC_12} §Value Encoding`,
  },
  'tcp-gap': {
    severity: 'warning',
    title: 'Bytes missing from the capture',
    explanation:
      'The capture lost TCP segments here. Any frame cut by the gap was dropped and the decoder resynchronised at the next frame boundary.',
    specRef: 'TCP reassembly (RFC 9293 sequence numbers)',
  },
  // --- header escaping (the per-version view) ---
  'undefined-escape': {
    severity: 'error',
    title: 'Undefined escape sequence',
    explanation:
      'A backslash followed by something other than the escapes this version defines (1.1: \\n \\c \\\\; 1.2 adds \\r). The spec makes this a fatal protocol error; the value is shown with the sequence kept as-is.',
    specRef: `${SPEC_12} §Value Encoding`,
  },
  // --- version negotiation ---
  'unknown-version': {
    severity: 'error',
    title: 'Unknown protocol version',
    explanation: 'The CONNECTED frame names a version other than 1.0, 1.1 or 1.2; headers are read as 1.2.',
    specRef: `${SPEC_12} §Protocol Negotiation`,
  },
  'version-not-offered': {
    severity: 'error',
    title: 'Version not offered by the client',
    explanation: "The broker chose a version that is not in the client's accept-version header.",
    specRef: `${SPEC_12} §Protocol Negotiation`,
  },
  'bad-heart-beat': {
    severity: 'warning',
    title: 'Bad heart-beat header',
    explanation: 'The heart-beat header is not two comma-separated non-negative integers (milliseconds).',
    specRef: `${SPEC_12} §Heart-beating`,
  },
} as const satisfies Record<string, IssueInfo>;

export type IssueCode = keyof typeof ISSUES;

/** The catalogue entry for a code, or undefined for a code this build does not know (e.g. from a newer database). */
export function issueInfo(code: string): IssueInfo | undefined {
  return Object.prototype.hasOwnProperty.call(ISSUES, code) ? (ISSUES as Record<string, IssueInfo>)[code] : undefined;
}

/** Builds a WireIssue with the catalogue's severity. `length` is the number of bytes concerned, when known. */
export function makeIssue(code: IssueCode, message: string, offset: number, length?: number): WireIssue {
  const issue: WireIssue = { code, severity: ISSUES[code].severity, message, offset };
  if (length !== undefined) issue.length = length;
  return issue;
}
