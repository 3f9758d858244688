// The data the API contract carries: what commands answer, and the frames the UI edits. Plain data only (no class
// instances): every transport copies it (JSON over the web host's WebSocket, structured clone over Electron IPC).
import type { BrokerDiff } from '../correlate/broker-diff.js';
import type { LatencySummary } from '../stats/latency.js';
import { CLIENT_COMMANDS, isConnectCommand, type ClientCommand } from '../stomp/spec.js';
import type { Direction, Severity, StompVersion } from '../stomp/types.js';
import type { Handshake } from '../websocket/handshake.js';

export interface SessionSummaryDto {
  session: number;
  kind: string;
  name: string;
  started: string | null;
  ended: string | null;
  state: string;
  connections: number;
  frames: number;
  /** Issues (findings) recorded in the session; absent from older hosts. */
  issues?: number;
}

export interface ConnectionDto {
  session: number;
  /** The connection's id: the stable key commands take. */
  connection: number;
  /** 1..k within the session, in the order connections were stored: what the UI shows (`#k`). */
  number: number;
  client: string;
  broker: string;
  /** 'tcp', 'tls', 'websocket', 'websocket+tls', 'sockjs', 'sockjs+tls'. */
  transport: string;
  /** The WebSocket / SockJS handshake (credentials masked); null for TCP and TLS. */
  handshake?: Handshake | null;
  /** A captured TLS connection: the version and cipher suite its ServerHello chose, and whether a key log decrypted it. */
  tls?: ConnectionTlsDto | null;
  version: StompVersion | null;
  opened: string | null;
  closed: string | null;
  closeReason: string | null;
  /** The broker profile (detected from CONNECTED's `server` header, or chosen); null: none; absent: not asked. */
  profile?: string | null;
  frames: Record<Direction, number>;
  heartbeats: Record<Direction, number>;
  bytes: Record<Direction, number>;
  issues: number;
}

/** A row of the Connections view (Wireshark's Conversations): a connection with what it negotiated and carried. */
export interface ConnectionOverviewDto extends ConnectionDto {
  /** Heart-beat periods negotiated (ms each way, 0 = none; STOMP 1.2 §Heart-beating); null when CONNECT/CONNECTED was not seen. */
  heartBeatNegotiated: { clientToBroker: number; brokerToClient: number } | null;
  /** From opening to closing (or to its last frame while open), µs; null without either. */
  durationUs: number | null;
  /** Findings on the connection by severity. */
  findings: Record<Severity, number>;
}

/** One frame of a connection's transcript (Follow connection), as text. */
export interface FollowEntryDto {
  id: number;
  seq: number;
  from: Direction;
  /** µs since the epoch. */
  t: number;
  command: string;
  /** The frame as on the wire, decoded as UTF-8 (bad bytes as U+FFFD), the NUL left out; credentials masked unless revealed. */
  text: string;
  length: number;
  /** The text stops before the frame's end (see FOLLOW_TEXT_BYTES), or bytes of it were not recorded. */
  truncated: boolean;
  /** Bytes of the frame were not recorded (a capture's gap): the text is empty. */
  missing: boolean;
}

export interface FollowDto {
  connection: number;
  session: number;
  client: string;
  broker: string;
  /** Frames of the connection in all, both ways. */
  total: number;
  entries: FollowEntryDto[];
  /** The `after` that reads on from here; null at the end. */
  next: number | null;
}

export interface FrameRowDto {
  /** The frame's id: the stable key commands take (frame.detail, frames.indexOf…). */
  id: number;
  /** 1..N within the session, in capture order: what the UI shows (the No. column, "frame N"). */
  number: number;
  /** The connection's id. */
  connection: number;
  /** The connection's number within the session: what the UI shows (`#k`). */
  connectionNumber: number;
  seq: number;
  from: Direction;
  time: string | null;
  command: string;
  destination: string | null;
  size: number;
  issues: number;
  /** Microseconds since the epoch (for relative times and the diagram's time axis). */
  t: number;
  /** The effective `subscription`, `id`, `receipt`, `receipt-id` or `message-id`, whichever the frame has first. */
  ref: string | null;
  /** A short summary for the Info column. */
  info: string;
  /** The worst issue severity on the frame, if any. */
  severity: Severity | null;
  /** StompScope wrote this frame into a live connection itself (`frame.inject`); absent or false otherwise. */
  injected?: boolean;
  /** The proxy rule that acted on the frame (absent: none did). */
  rule?: RuleEffectDto;
  /** In a `frames.window` given `colours`: the index of the first colouring rule the frame matches, or null. */
  colour?: number | null;
  /** In a `frames.window` given `headers`: each asked header's decoded value (first one wins), or null. */
  columns?: Array<string | null>;
}

/** The rules of a proxy this core runs (the Rules panel). */
export interface ProxyRulesDto {
  session: number;
  /** As written: the rules file's JSON objects (shared/rules/rules.ts Rule). */
  rules: Array<Record<string, unknown>>;
  /** Frames a `break` rule holds are forwarded after this long unless decided first (ms). */
  holdTimeoutMs: number;
  /** Rules that can never match (a typo such as MESAGE), one line each. */
  warnings: string[];
}

/** A frame a `break` rule holds in a proxy this core runs, until forwarded, edited or dropped (the intercept queue). */
export interface HeldFrameDto {
  id: number;
  session: number;
  /** The connection's number in its proxy (from 1) and its client address. */
  conn: number;
  client: string;
  from: Direction;
  rule: string;
  /** The frame decoded for the editor: headers unescaped for the connection's version. */
  command: string;
  headers: Array<[string, string]>;
  bodyBase64: string;
  /** The held bytes as they are. */
  rawBase64: string;
  version: StompVersion | null;
  /** ms since the epoch. */
  heldAt: number;
  timeoutAt: number;
}

/** What a proxy rule did to a frame (frame_rules). */
export interface RuleEffectDto {
  name: string | null;
  action: string | null;
  /** false: the other peer never got the frame (dropped, answered instead). */
  forwarded: boolean;
  /** A rule made the frame up (a reply, an injected frame). */
  synthesized: boolean;
}

export interface HeaderDto {
  /** Decoded (unescaped per the connection's version) name and value. */
  name: string;
  value: string;
  /** As on the wire (escaped). */
  rawName: string;
  rawValue: string;
  /** A later repeat of a name already seen: ignored, the first one wins (STOMP 1.2 §Repeated Header Entries). */
  repeated: boolean;
}

export interface FrameDetailDto {
  row: FrameRowDto;
  session: number;
  version: StompVersion | null;
  offset: number;
  crlf: boolean;
  headers: HeaderDto[];
  bodyLength: number;
  /** The body (at most `maxBytes`), base64; null when its bytes were not recorded (a gap). */
  bodyBase64: string | null;
  bodyTruncated: boolean;
  /** The whole frame as on the wire (at most `maxBytes`), base64. */
  rawBase64: string | null;
  rawTruncated: boolean;
  issues: Array<{ code: string; severity: Severity; message: string }>;
  /** Milliseconds since the previous frame of the same connection (either direction). */
  sincePreviousMs: number | null;
  /** A frame a proxy rule rewrote: the bytes the peer sent (at most `maxBytes`), base64; `rawBase64` is what the other peer got. */
  originalBase64?: string | null;
}

export interface FilterErrorDto {
  message: string;
  start: number;
  end: number;
}

export interface QueryDto {
  query: number;
  total: number;
}

/** The columns the frame list can be sorted by; `header` sorts by the value of `sort.header`. */
export const SORT_COLUMNS = ['no', 'time', 'conn', 'from', 'command', 'destination', 'size', 'header'] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];
export interface SortDto {
  column: SortColumn;
  desc?: boolean;
  /** The header whose value orders the view, when `column` is 'header'. */
  header?: string;
}

/** Names seen in a session, for the display filter's completion. */
export interface VocabularyDto {
  commands: string[];
  destinations: string[];
  headers: string[];
  issueCodes: string[];
}

export interface WindowDto {
  total: number;
  start: number;
  rows: FrameRowDto[];
}

export interface HeartbeatDto {
  connection: number;
  from: Direction;
  t: number;
}

export interface ConnectionTlsDto {
  /** "TLS 1.2", "TLS 1.3". */
  version: string;
  /** The IANA name, e.g. "TLS_AES_128_GCM_SHA256". */
  cipherSuite: string;
  decrypted: boolean;
  /** Why it was not decrypted (no key log, no keys for it, ...). */
  missing?: string;
}

/** A live capture this core runs (`capture.start`). */
export interface CaptureDto {
  session: number;
  interface: string;
  /** The capture engine: 'dumpcap' or 'tcpdump'. */
  engine: string;
  /** The BPF capture filter it runs with. */
  filter: string;
  packets: number;
  frames: number;
}

export interface CaptureInterfaceDto {
  name: string;
  description: string | null;
}

/** What `capture.interfaces` answers: the interfaces, or why none can be listed (no capture engine). */
export interface CaptureInterfacesDto {
  engine: string | null;
  interfaces: CaptureInterfaceDto[];
  error: string | null;
}

export interface ProxyDto {
  session: number;
  listen: string;
  upstream: string;
  upstreamTls: boolean;
  /** Clients connect with TLS (the proxy was given a certificate and key). */
  clientTls: boolean;
  connections: number;
  /** The recorder's latest warning (recording paused or failed, then resumed), or null: forwarding goes on regardless. */
  warning?: string | null;
}

export interface ReplayFindingDto {
  code: string;
  severity: Severity;
  message: string;
  /** The recorded frame concerned, by its seq in the original connection. */
  seq: number | null;
  /** That frame's number within the original session (what the UI shows); null with `seq`. */
  number: number | null;
}

export interface ReplayDiffDto extends BrokerDiff {
  /** Each connection's id, and its number within its session (`#k`, what the UI shows). */
  a: { session: number; connection: number; number: number; version: StompVersion | null };
  b: { session: number; connection: number; number: number; version: StompVersion | null };
  /** No difference beyond the ignored headers. */
  same: boolean;
}

/** A frame as edited in the UI: plain (unescaped) headers, escaped by the core for the version the broker negotiates. */
export interface EditedFrameDto {
  command: string;
  headers: Array<[string, string]>;
  bodyBase64: string;
}

/** What the resend editor starts from: a recorded client frame and the CONNECT of its connection, credentials masked. */
export interface ResendDraftDto {
  id: number;
  /** The frame's number within its session, and its connection's (`#k`): what the UI shows. */
  number?: number;
  connectionNumber?: number;
  session: number;
  connection: number;
  /** The broker the connection was recorded with (for the confirmation before sending there). */
  broker: string;
  version: StompVersion | null;
  frame: EditedFrameDto;
  /** The connection's CONNECT or STOMP frame; null when none was recorded (e.g. a capture started mid-connection). */
  connect: EditedFrameDto | null;
  /**
   * Whether the frame's connection can take an injected frame now (`frame.inject`): it is open in a proxy this
   * core runs. `reason` says why not.
   */
  inject?: { available: boolean; reason: string | null };
}

export interface InjectResultDto {
  session: number;
  connection: number;
  /** Bytes written to the broker. */
  bytes: number;
  /** The client was inside a frame: the injected frame went right after that frame's end. */
  waited: boolean;
  /** The recorded (injected) frame, once the recorder has stored it (null if it has not within a few seconds). */
  frame: number | null;
  /** That frame's number within the session, and the connection's (`#k`): what the UI shows. */
  frameNumber?: number | null;
  connectionNumber?: number;
}

/** Client commands that may be injected into a connection that is already connected. */
export const INJECTABLE_COMMANDS: readonly ClientCommand[] = CLIENT_COMMANDS.filter((c) => !isConnectCommand(c));

export interface ResendResultDto {
  session: number;
  connection: number | null;
  version: StompVersion | null;
  /** What the broker answered, in order. */
  received: Array<{ seq: number; command: string; info: string }>;
  findings: ReplayFindingDto[];
}

/** One finding in the Expert Info panel, and the frame to jump to. */
export interface ExpertEntryDto {
  issue: number;
  /**
   * The frame the issue is about; for a finding about a connection (a heart-beat gap, a transaction left open),
   * its connection's first frame at or after the issue's time (or its last one before). Null when there is none.
   */
  frameId: number | null;
  /** That frame's number within the session (what the UI shows); null with `frameId`. */
  frameNumber: number | null;
  /** `frameId` is the frame the issue is about (not the nearest frame of its connection). */
  onFrame: boolean;
  /** The connection's id, and its number within the session (`#k`, what the UI shows). */
  connection: number | null;
  connectionNumber: number | null;
  /** Microseconds since the epoch. */
  t: number;
  message: string;
}

/** The issues of one code in a session, with the catalogue's words for it (shared/issues.ts). */
export interface ExpertCodeDto {
  code: string;
  severity: Severity;
  title: string;
  explanation: string;
  specRef: string;
  count: number;
  /** The first entries, in capture order (at most the `entries` asked for). */
  entries: ExpertEntryDto[];
}

export interface ExpertInfoDto {
  session: number;
  total: number;
  /** Errors, then warnings, then notes; within each, codes by count (most first). Empty severities are left out. */
  groups: Array<{ severity: Severity; count: number; codes: ExpertCodeDto[] }>;
}

/** A correlation link seen from one frame (links table: CONNECT -> CONNECTED, receipt -> RECEIPT, …). */
export interface FrameLinkDto {
  kind: string;
  /** 'answer': the other frame answers (follows from) this one; 'cause': this frame answers the other. */
  role: 'answer' | 'cause';
  other: FrameRowDto;
  /** Microseconds from the link's first frame to its second; null when unknown. */
  latencyUs: number | null;
}

/** A link between two frames, for drawing (the sequence diagram). */
export interface LinkDto {
  kind: string;
  from: number;
  to: number;
  latencyUs: number | null;
}

/** SEND and MESSAGE counts of one destination, over the session's time buckets. */
export interface DestinationRateDto {
  destination: string;
  send: number;
  message: number;
  sendBuckets: number[];
  messageBuckets: number[];
}

/** One link kind's latencies, in microseconds: nearest-rank percentiles and a histogram on 1-2-5 edges, [lo, hi). */
export interface LatencyStatsDto extends LatencySummary {
  kind: string;
}

export interface SessionStatsDto {
  session: number;
  /** First and last frame times (µs since the epoch); equal when the session has one frame or none. */
  t0: number;
  t1: number;
  bucketUs: number;
  buckets: number;
  /** The busiest destinations (SEND + MESSAGE), most first. */
  destinations: DestinationRateDto[];
  /** Destinations left out of `destinations`, and their frames. */
  otherDestinations: { destinations: number; frames: number };
  /** One entry per correlation kind that has links with a latency. */
  latency: LatencyStatsDto[];
  /** Frames by command and direction, most first. */
  commands: Array<{ command: string; client: number; broker: number }>;
  /** Frame bytes each way (commands, headers and bodies as on the wire; heart-beat EOLs not counted). */
  bytes: Record<Direction, number>;
  /** Every destination's SEND and MESSAGE counts, busiest first (at most MAX_STATS_TABLE_ROWS). */
  destinationTable: Array<{ destination: string; send: number; message: number }>;
}

/** The languages of "copy as code" (`export.code`, `stompscope export --format`). */
export const CODE_LANGUAGES = ['stomp.py', 'stompjs'] as const;
export type CodeLanguageDto = (typeof CODE_LANGUAGES)[number];

export interface ExportCodeDto {
  text: string;
  /** A file name to suggest (.py or .mjs). */
  filename: string;
  connection: number;
  /** The connection's number within its session, and the frame's (when one was copied): what the UI shows. */
  connectionNumber?: number;
  frameNumber?: number | null;
  /** Client frames the code sends after its CONNECT. */
  frames: number;
}
