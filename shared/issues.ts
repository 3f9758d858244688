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
  'capture-dropped': {
    severity: 'warning',
    title: 'Packets dropped by the capture',
    explanation:
      'The kernel or the capture engine dropped packets during a live capture (its interface statistics count them): the capture could not keep up, or its buffer was too small. The connections they belonged to show TCP gaps. A larger buffer, a narrower filter (--port, --filter) or a less busy host help.',
    specRef: 'draft-ietf-opsawg-pcapng §4.6 (Interface Statistics Block, isb_ifdrop)',
  },
  // --- TLS in captures (src-main/core/capture/tls) ---
  'tls-undecrypted': {
    severity: 'warning',
    title: 'TLS connection not decrypted',
    explanation:
      'The connection is TLS and could not be decrypted: no key log was given, the key log has no secrets for this connection\'s client random (it was written by another session), its cipher suite is not an AEAD one StompScope decrypts (AES-GCM, ChaCha20-Poly1305), or the capture started after the handshake. Give the key log the client wrote (SSLKEYLOGFILE, Node\'s --tls-keylog, a Java agent) with --tls-keylog.',
    specRef: 'RFC 8446 §7 (key schedule), RFC 5246 §8.1 (master secret), NSS key log format',
  },
  'tls-decrypt-failed': {
    severity: 'error',
    title: 'TLS record not decrypted',
    explanation:
      'A TLS record did not authenticate with the key log\'s keys (a damaged record, or keys that are not this connection\'s), or the TLS record stream is damaged or has bytes missing from the capture: its content is lost, and the STOMP stream has a gap there.',
    specRef: 'RFC 8446 §5.2, RFC 5246 §6.2.3.3 (AEAD record protection)',
  },
  'tls-record-cut': {
    severity: 'warning',
    title: 'TLS record cut off',
    explanation:
      'A direction of the connection ends in the middle of a TLS record (the capture stopped, or the connection was cut): the part of it in the capture cannot be authenticated, so its content is lost.',
    specRef: 'RFC 8446 §5.1 (record layer)',
  },
  // --- the recorder and the proxy (src-main/core/record, src-main/core/proxy) ---
  'recording-overload': {
    severity: 'warning',
    title: 'Recording shed bytes',
    explanation:
      'The recorder fell more than its memory budget behind the proxy, so these bytes were forwarded but not recorded (forwarding never waits for recording). One issue covers a whole span of shed bytes. A frame they fall in is still listed with its real length, marked with this issue, its body not kept; elsewhere decoding resumed at the next frame boundary.',
    specRef: 'StompScope recorder (README: proxy throughput)',
  },
  'recording-paused': {
    severity: 'warning',
    title: 'Recording paused',
    explanation:
      'Another process held the database\'s write lock, so the recorder waited and kept the bytes until it could write them; forwarding never stopped. Nothing was lost unless recording-overload issues follow.',
    specRef: 'StompScope recorder (README: Reliability)',
  },
  'recording-failed': {
    severity: 'error',
    title: 'Recording failed',
    explanation:
      'The database or the disk failed while recording a batch (disk full, I/O error): that traffic was forwarded but not recorded. Frames around it may show as truncated or garbage.',
    specRef: 'StompScope recorder (README: Reliability)',
  },
  'broker-closed': {
    severity: 'warning',
    title: 'Broker closed the connection',
    explanation:
      'The broker closed or reset the connection although the client had not sent DISCONNECT and no ERROR explained it: a broker restart or shutdown, or the broker dropping the client. The client has to reconnect.',
    specRef: 'STOMP 1.2 §DISCONNECT, §ERROR',
  },
  'upstream-unreachable': {
    severity: 'error',
    title: 'Broker unreachable',
    explanation: 'The proxy could not open the connection to the broker for this client (refused, timed out, TLS failed); the client was disconnected.',
    specRef: 'RFC 9293 §3.5 (establishing a connection)',
  },
  'connection-error': {
    severity: 'warning',
    title: 'Socket error',
    explanation: 'A socket of this connection failed (reset by the peer, broken pipe, TLS alert). The other side was closed too.',
    specRef: 'RFC 9293 §3.5.2 (reset generation)',
  },
  // --- protocol rules by version (shared/analysis) ---
  'missing-accept-version': {
    severity: 'warning',
    title: 'STOMP frame without accept-version',
    explanation:
      'The client opens with a STOMP frame (which STOMP 1.2 introduced) but sends no accept-version header, which makes it a STOMP 1.0 client, for which the STOMP command does not exist: the broker may answer 1.0 or reject it. A CONNECT without accept-version is an ordinary STOMP 1.0 client (PHP stomp, Net::Stomp) and is not reported, whatever other headers it has (RabbitMQ reads host as its virtual host in every version).',
    specRef: `${SPEC_12} §Protocol Negotiation`,
  },
  'heartbeat-header-1-0': {
    severity: 'note',
    title: 'heart-beat header from a STOMP 1.0 client',
    explanation:
      'CONNECT has a heart-beat header but no accept-version, so the client speaks STOMP 1.0, which defines no heart-beats. The header matters only if the broker answers with a heart-beat header of its own; then both sides heart-beat as negotiated and StompScope checks them as for 1.1+.',
    specRef: `${SPEC_12} §Protocol Negotiation, §Heart-beating`,
  },
  'missing-host': {
    severity: 'note',
    title: 'CONNECT without host (STOMP 1.2)',
    explanation:
      'STOMP 1.2 makes the host header of CONNECT/STOMP required (the virtual host to connect to), yet @stomp/stompjs, for one, sends none unless connectHeaders has it. Reported only once the broker has answered CONNECTED, that is, accepted the connection with a default: a note, since nothing failed; a broker that needs the host answers ERROR instead, which is reported as such.',
    specRef: `${SPEC_12} §CONNECT or STOMP Frame`,
  },
  'subscribe-without-id': {
    severity: 'error',
    title: 'SUBSCRIBE without id',
    explanation:
      'Since STOMP 1.1 every SUBSCRIBE must carry an id; MESSAGE frames name it in their subscription header and UNSUBSCRIBE needs it. Brokers answer with an ERROR.',
    specRef: `${SPEC_12} §SUBSCRIBE id Header`,
  },
  'ack-without-id': {
    severity: 'error',
    title: 'ACK/NACK without the identifying header',
    explanation:
      'The ACK or NACK lacks the header(s) that name the message in the negotiated version: message-id (1.0), message-id and subscription (1.1), id matching the MESSAGE ack header (1.2). The broker cannot tell which message it settles.',
    specRef: `${SPEC_12} §ACK, §NACK`,
  },
  'nack-in-1-0': {
    severity: 'error',
    title: 'NACK on a STOMP 1.0 connection',
    explanation: 'NACK exists since STOMP 1.1. On a connection negotiated as 1.0 it is an unknown command to the broker.',
    specRef: 'STOMP 1.1 §NACK',
  },
  'frame-after-disconnect': {
    severity: 'error',
    title: 'Client frame after DISCONNECT',
    explanation:
      'The client sent a frame after its DISCONNECT. The client must not send more frames after DISCONNECT; the broker may already have closed, and the frame is lost.',
    specRef: `${SPEC_12} §DISCONNECT`,
  },
  'receipt-missing': {
    severity: 'warning',
    title: 'Receipt requested, never answered',
    explanation:
      'A frame asked for a receipt, and no RECEIPT (nor an ERROR with that receipt-id) came before the connection ended. Whatever the frame asked for may not have happened: a client waiting on the receipt hangs or times out.',
    specRef: `${SPEC_12} §Header receipt, §RECEIPT`,
  },
  'error-frame': {
    // A warning, as Wireshark rates an application's error reply: the frame itself is valid STOMP.
    severity: 'warning',
    title: 'ERROR from the broker',
    explanation:
      'The broker sent an ERROR frame (its message header is quoted): it refused something the client did. The broker closes the connection after an ERROR, so later frames of the client were lost.',
    specRef: `${SPEC_12} §ERROR`,
  },
  'disconnect-receipt-missing': {
    severity: 'note',
    title: 'DISCONNECT receipt never answered',
    explanation:
      'The client asked for a receipt on DISCONNECT and the connection closed without one. The client wanted the connection closed, and it was: nothing it sent is known to be lost, though the receipt would have confirmed that the broker had processed every earlier frame. RabbitMQ Web STOMP closes the WebSocket at DISCONNECT without the RECEIPT.',
    specRef: `${SPEC_12} §DISCONNECT, §Header receipt`,
  },
  'transaction-open': {
    severity: 'warning',
    title: 'Transaction never committed or aborted',
    explanation:
      'A BEGIN had no COMMIT or ABORT before the connection ended. The broker aborts open transactions when the connection goes: the SENDs and ACKs in it never took effect.',
    specRef: `${SPEC_12} §BEGIN`,
  },
  'message-unacked': {
    severity: 'warning',
    title: 'MESSAGE never acknowledged',
    explanation:
      'A MESSAGE of a subscription in ack mode client or client-individual was neither ACKed nor NACKed (nor covered by a cumulative ACK in client mode) before the connection ended. The broker redelivers it to another consumer or on the next connection: a duplicate for the application.',
    specRef: `${SPEC_12} §SUBSCRIBE ack Header`,
  },
  'ack-unknown-message': {
    severity: 'warning',
    title: 'ACK/NACK of a message never delivered',
    explanation:
      'The ACK or NACK names a message that no MESSAGE of this connection carried (wrong id, an id from another connection, or the ack header mixed up with message-id). Brokers answer with an ERROR or ignore it, and the real message stays unacknowledged.',
    specRef: `${SPEC_12} §ACK`,
  },
  // --- heart-beats (shared/analysis) ---
  'heartbeat-negotiated': {
    severity: 'note',
    title: 'Heart-beats negotiated',
    explanation:
      'The effective heart-beat period each way: the client sends at least every max(cx, sy) ms and the broker every max(sx, cy) ms, 0 meaning none.',
    specRef: `${SPEC_12} §Heart-beating`,
  },
  'heartbeat-late': {
    severity: 'note',
    title: 'Heart-beat late',
    explanation:
      'Nothing (no frame, no heart-beat) came from this side for more than 1.5 and at most 2 times the negotiated period. Late, but within what @stomp/stompjs (2× by default) and the Ruby stomp gem (no limit by default) tolerate; stomp.py (heart_beat_receive_scale 1.5 by default, with extra time for the first heart-beat) gives up on a broker this late, and the message says whether it would have. Reported when that side is heard again or the connection ends.',
    specRef: `${SPEC_12} §Heart-beating`,
  },
  'heartbeat-missed': {
    severity: 'warning',
    title: 'Heart-beat missed',
    explanation:
      'Nothing (no frame, no heart-beat) came from this side for more than twice the negotiated period, past what the common clients tolerate by default (stomp.py 1.5×, @stomp/stompjs 2× checked once per period; the Ruby stomp gem never gives up unless configured): the message says which of them would have dropped the connection. A receiver may consider the connection dead after one period without data; how late a broker accepts a client is its configuration (ActiveMQ: transport.hbGracePeriodMultiplier, no grace by default; RabbitMQ 3.10 closed a silent client about three periods after its last data). The time given is when the silence passed twice the period. A live recording reports it while the silence lasts (checked every second); a capture, when that side is heard again or the connection ends.',
    specRef: `${SPEC_12} §Heart-beating`,
  },
  'heartbeat-too-frequent': {
    severity: 'note',
    title: 'Heart-beats faster than negotiated',
    explanation:
      'This side sent heart-beats less than half the negotiated period apart. Harmless to the protocol, but it wastes traffic and often means the client timer uses the wrong value of the negotiated pair.',
    specRef: `${SPEC_12} §Heart-beating`,
  },
  // --- broker profiles (shared/analysis/profiles.ts) ---
  'jms-message-type': {
    severity: 'note',
    title: 'JMS message type (ActiveMQ, Artemis)',
    explanation:
      'ActiveMQ classic and Artemis turn a SEND with a content-length header into a JMS BytesMessage and one without into a TextMessage. JMS consumers see different types (and a TextMessage must be valid UTF-8): a classic cross-language surprise. Shown on the first SEND of each kind per destination and connection.',
    specRef: 'ActiveMQ STOMP manual (Working with JMS Text/Bytes Messages and Stomp); Artemis manual §STOMP',
  },
  'artemis-durable-without-client-id': {
    severity: 'warning',
    title: 'Durable subscription without client-id (Artemis)',
    explanation:
      'Artemis names a durable subscription after the client-id of CONNECT and the durable-subscription-name of SUBSCRIBE. Without client-id the subscription is not durable (or is refused), and messages sent while the client is away are lost.',
    specRef: 'Artemis manual §STOMP Durable Subscriptions',
  },
  'rocketmq-transaction-limit': {
    severity: 'error',
    title: 'More than one open transaction (RocketMQ STOMP gateway)',
    explanation: "Alibaba Cloud's STOMP gateway for RocketMQ allows one open transaction per connection; a second BEGIN before COMMIT/ABORT is refused.",
    specRef: 'Alibaba Cloud RocketMQ STOMP gateway limits',
  },
  'rocketmq-transaction-size': {
    severity: 'error',
    title: 'More than three messages in a transaction (RocketMQ STOMP gateway)',
    explanation: "Alibaba Cloud's STOMP gateway for RocketMQ accepts at most three SENDs per transaction.",
    specRef: 'Alibaba Cloud RocketMQ STOMP gateway limits',
  },
  'rocketmq-destination': {
    severity: 'error',
    title: 'Destination the RocketMQ STOMP gateway does not accept',
    explanation:
      "Destinations on Alibaba Cloud's STOMP gateway are /t/<topic>, where the topic name is made of letters, digits, - and _ only.",
    specRef: 'Alibaba Cloud RocketMQ STOMP gateway limits',
  },
  'rocketmq-selector': {
    severity: 'error',
    title: 'Selector on the RocketMQ STOMP gateway',
    explanation: "Alibaba Cloud's STOMP gateway for RocketMQ does not support message selectors on SUBSCRIBE.",
    specRef: 'Alibaba Cloud RocketMQ STOMP gateway limits',
  },
  // --- STOMP over WebSocket and SockJS (shared/websocket): the layer under the STOMP decoder ---
  'websocket-upgrade': {
    severity: 'note',
    title: 'WebSocket handshake',
    explanation:
      'The connection began with an HTTP upgrade to WebSocket, accepted with 101 Switching Protocols. STOMP is decoded from the payload of the WebSocket messages (unmasked, fragments joined, decompressed); the handshake is in the connection details.',
    specRef: 'RFC 6455 §4 (opening handshake), STOMP 1.2 over WebSocket (subprotocols v10.stomp, v11.stomp, v12.stomp)',
  },
  'websocket-upgrade-refused': {
    severity: 'warning',
    title: 'WebSocket upgrade refused',
    explanation:
      'The server answered the upgrade request with a status other than 101 (a wrong path, a missing or unsupported subprotocol, an authentication failure): no WebSocket, so no STOMP, on this connection.',
    specRef: 'RFC 6455 §4.2.2, §4.1 (the client fails the connection unless the status is 101)',
  },
  'websocket-no-stomp-subprotocol': {
    severity: 'note',
    title: 'No STOMP subprotocol negotiated',
    explanation:
      'The server accepted the WebSocket without choosing a v10.stomp, v11.stomp or v12.stomp subprotocol (Sec-WebSocket-Protocol). Most brokers speak STOMP anyway; some clients refuse such a connection.',
    specRef: 'RFC 6455 §1.9, §11.3.4 (Sec-WebSocket-Protocol)',
  },
  'websocket-ping': {
    severity: 'note',
    title: 'WebSocket ping',
    explanation: 'A ping control frame; the peer must answer with a pong. WebSocket-level keep-alive, independent of STOMP heart-beats. The first ones are listed; the rest are counted at the end.',
    specRef: 'RFC 6455 §5.5.2',
  },
  'websocket-pong': {
    severity: 'note',
    title: 'WebSocket pong',
    explanation: 'A pong control frame: the answer to a ping, or an unsolicited keep-alive. The first ones are listed; the rest are counted at the end.',
    specRef: 'RFC 6455 §5.5.3',
  },
  'websocket-close': {
    severity: 'note',
    title: 'WebSocket close',
    explanation:
      'A close control frame, with its status code and reason: 1000 normal, 1001 going away, 1002 protocol error, 1003 unacceptable data, 1008 policy violation, 1009 message too big, 1011 server error.',
    specRef: 'RFC 6455 §5.5.1, §7.4.1 (status codes)',
  },
  'websocket-protocol-error': {
    severity: 'error',
    title: 'WebSocket protocol error',
    explanation:
      'The WebSocket framing breaks a rule of RFC 6455 (masking, reserved bits or opcodes, control frame size or fragmentation, a continuation without a message, a stream cut inside a frame). Where the frame boundaries are still known, decoding goes on; where they are lost, the rest of this direction is not decoded.',
    specRef: 'RFC 6455 §5.2 (base framing), §5.4 (fragmentation), §5.5 (control frames)',
  },
  'websocket-invalid-utf8': {
    severity: 'warning',
    title: 'Text WebSocket message not UTF-8',
    explanation:
      'A text message (opcode 1) whose payload, joined from its fragments (and decompressed), is not valid UTF-8, e.g. a binary STOMP body sent in a text message. RFC 6455 requires the receiver to fail the connection, with close code 1007; strict clients such as the ws package for Node.js do. Binary bodies belong in binary messages (opcode 2). Where the bad byte lies in a STOMP frame the issue is on that frame; the first ones are listed, the rest counted at the end.',
    specRef: 'RFC 6455 §8.1 (handling errors in UTF-8-encoded data), §5.6 (data frames)',
  },
  'websocket-deflate-unsupported': {
    severity: 'warning',
    title: 'Compressed WebSocket message not decoded',
    explanation:
      'permessage-deflate was negotiated and this message could not be decompressed (no inflater here, its data is corrupt, or it lost bytes to a capture gap): its STOMP content is missing from the decoded stream, which resynchronises at the next frame.',
    specRef: 'RFC 7692 §7 (permessage-deflate)',
  },
  'websocket-message-too-large': {
    severity: 'warning',
    title: 'WebSocket message too large to decode',
    explanation:
      'A message that must be held whole to be decoded (compressed, or a SockJS frame) was larger than the decoder limit; its content is missing from the decoded stream. Forwarding is not affected.',
    specRef: 'RFC 7692 §7, SockJS protocol (framing)',
  },
  'http-not-websocket': {
    severity: 'warning',
    title: 'HTTP, not a WebSocket',
    explanation:
      'The client sent an HTTP request that is not a WebSocket upgrade. Plain HTTP carries no STOMP that StompScope can decode; the bytes were forwarded and not decoded.',
    specRef: 'RFC 6455 §4.1',
  },
  'sockjs-heartbeat': {
    severity: 'note',
    title: 'SockJS heartbeat',
    explanation: 'SockJS servers send an "h" frame about every 25 s when idle. Independent of STOMP heart-beats. The first is listed; all are counted when the connection ends.',
    specRef: 'SockJS protocol (framing: heartbeat frame)',
  },
  'sockjs-close': {
    severity: 'note',
    title: 'SockJS close',
    explanation: 'The server sent a SockJS close frame c[code,"reason"], e.g. 3000 "Go away!", 2010 "Another connection still open".',
    specRef: 'SockJS protocol (framing: close frame)',
  },
  'sockjs-protocol-error': {
    severity: 'error',
    title: 'SockJS framing error',
    explanation: 'A WebSocket message in a SockJS session that is not a SockJS frame (o, h, a[...], m"...", c[...] from the server; a JSON array of strings from the client). Its content is missing from the decoded stream.',
    specRef: 'SockJS protocol (framing)',
  },
  'sockjs-unsupported-transport': {
    severity: 'warning',
    title: 'SockJS transport not decoded',
    explanation:
      'SockJS fell back to a transport other than WebSocket (XHR streaming or polling, EventSource, iframe/htmlfile, JSONP), or this is its /info request. Those are plain HTTP requests; StompScope decodes SockJS only over WebSocket.',
    specRef: 'SockJS protocol (transports)',
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
