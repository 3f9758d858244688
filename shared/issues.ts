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
  // --- capture import (src-main/core/capture) ---
  'tcp-segments-missing': {
    severity: 'warning',
    title: 'TCP segments missing from the capture',
    explanation:
      'Sequence numbers jump over bytes the capture never had: the peer acknowledged them, the connection ended without them, or too much data waited behind the hole. The capture dropped packets (a busy capture host, a lossy mirror port, a capture filter). A tcp-gap issue gives the place and size in the stream.',
    specRef: 'TCP reassembly (RFC 9293 §3.4 sequence numbers, §3.10.7.4 segment arrival)',
  },
  'snaplen-cut': {
    severity: 'warning',
    title: 'Packet cut by the snap length',
    explanation:
      'The capture kept only the first bytes of this packet (tcpdump -s, dumpcap -s); the rest of its TCP payload is missing. Capture again with -s 0 to keep whole packets.',
    specRef: 'pcap / pcapng SnapLen (draft-ietf-opsawg-pcap §4, draft-ietf-opsawg-pcapng §4.2)',
  },
  'tcp-midstream': {
    severity: 'note',
    title: 'Connection picked up mid-stream',
    explanation:
      'The capture started after this connection was opened: its first bytes in this direction were the middle of a frame, and decoding started at the first frame boundary. The CONNECT/CONNECTED exchange may be missing, so headers are shown without unescaping.',
    specRef: 'TCP reassembly',
  },
  'tcp-syn': {
    severity: 'note',
    title: 'Connection opened (SYN)',
    explanation: 'The client sent the first segment of the TCP three-way handshake.',
    specRef: 'RFC 9293 §3.5 (establishing a connection)',
  },
  'tcp-fin': {
    severity: 'note',
    title: 'Side closed (FIN)',
    explanation: 'This side finished sending: an orderly close of its direction of the connection.',
    specRef: 'RFC 9293 §3.6 (closing a connection)',
  },
  'tcp-rst': {
    severity: 'note',
    title: 'Connection reset (RST)',
    explanation:
      'This side aborted the connection. Brokers reset after an ERROR or when a client vanishes; clients when they are killed. Data in flight is lost.',
    specRef: 'RFC 9293 §3.5.2 (reset generation)',
  },
  'direction-guessed': {
    severity: 'note',
    title: 'Client side guessed from the ports',
    explanation:
      'The handshake was not captured and no frame told which side is the client (CONNECT, SEND… come from clients; CONNECTED, MESSAGE… from brokers), so the side on the STOMP port, or else the lower port, is taken as the broker.',
    specRef: 'capture import',
  },
  'unsupported-link-type': {
    severity: 'warning',
    title: 'Unsupported link type',
    explanation:
      'Packets of a link-layer type the importer does not decode were skipped. Supported: Ethernet (802.1Q/QinQ), Linux cooked SLL and SLL2, BSD loopback, raw IPv4/IPv6.',
    specRef: 'tcpdump.org/linktypes.html',
  },
  'capture-truncated': {
    severity: 'warning',
    title: 'Capture file cut short',
    explanation:
      'The file ends in the middle of a record, usually because the capture was copied while still being written or the writer was killed. Everything before that point was imported; the session is marked incomplete.',
    specRef: 'draft-ietf-opsawg-pcap §5, draft-ietf-opsawg-pcapng §3.1',
  },
  'capture-corrupt': {
    severity: 'error',
    title: 'Capture file corrupt',
    explanation:
      'A record or block of the file is inconsistent (impossible length, mismatched block length, unknown interface, impossible timestamp). In a pcapng file the damaged bytes are skipped and reading resumes at the next valid block (the issue gives their place and size); in a classic pcap file, whose records have no trailing length to resynchronise on, reading stops there. Either way the session is marked incomplete, and the packets lost may show as TCP gaps.',
    specRef: 'draft-ietf-opsawg-pcap §5, draft-ietf-opsawg-pcapng §3.1',
  },
  // --- replay findings (src-main/core/replay): what happened when a recorded connection was replayed ---
  'replay-timeout': {
    severity: 'warning',
    title: 'Replay: answer did not come in time',
    explanation:
      'In the recording the client received a CONNECTED, a RECEIPT or a MESSAGE before sending this frame, and the replay waited for the corresponding answer (same receipt id, n-th MESSAGE of the subscription) longer than the timeout. The replay went on without it; an ACK or NACK for a MESSAGE that never came is not sent.',
    specRef: `${SPEC_12} §RECEIPT, §MESSAGE`,
  },
  'replay-broker-error': {
    severity: 'warning',
    title: 'Replay: broker sent ERROR',
    explanation:
      'The target broker answered the replay with an ERROR frame. Brokers close the connection after an ERROR, so the frames after it were probably not replayed.',
    specRef: `${SPEC_12} §ERROR`,
  },
  'replay-connection-closed': {
    severity: 'error',
    title: 'Replay: connection closed early',
    explanation: 'The target closed the connection (or it failed) before every frame of the replay was sent.',
    specRef: `${SPEC_12} §Connection Lingering`,
  },
  'replay-ack-unmapped': {
    severity: 'warning',
    title: 'Replay: ACK/NACK not sent',
    explanation:
      'The recorded ACK or NACK named the n-th MESSAGE of a subscription, and the replay did not receive an n-th MESSAGE on that subscription (or it lacked the header the negotiated version identifies messages by), so there was nothing to acknowledge.',
    specRef: `${SPEC_12} §ACK, §NACK`,
  },
  'replay-ack-unknown': {
    severity: 'note',
    title: 'Replay: ACK/NACK of an unrecorded MESSAGE',
    explanation:
      'The recorded ACK or NACK names no MESSAGE of the recording (a capture that started mid-stream, or a client bug); it was sent as recorded.',
    specRef: `${SPEC_12} §ACK, §NACK`,
  },
  'replay-frame-unavailable': {
    severity: 'warning',
    title: 'Replay: frame bytes not recorded',
    explanation: 'The raw bytes of this client frame are not in the store (a capture gap, or a deleted raw file), so it was not sent.',
    specRef: 'StompScope store (raw files beside the database)',
  },
  'replay-frame-skipped': {
    severity: 'note',
    title: 'Replay: frame not replayed',
    explanation:
      'Only the client commands STOMP defines are replayed (CONNECT/STOMP, SUBSCRIBE, UNSUBSCRIBE, SEND, BEGIN, COMMIT, ABORT, ACK, NACK, DISCONNECT); this frame was left out.',
    specRef: `${SPEC_12} §Client Frames`,
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
