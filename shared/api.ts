// The one contract between the UI and the core (DESIGN.md principle 4). Every host (Electron IPC, the web
// host's WebSocket, the CLI) carries these commands and events and nothing else. Add commands here first;
// the core implements each once.
import type { BrokerDiff } from './correlate/broker-diff.js';
import { MAX_EXPORT_FRAMES } from './diagram/model.js';
import { isProfileName, PROFILE_NAMES, type ProfileName } from './analysis/profiles.js';
import { parseTarget } from './replay-target.js';
import { isSecretHeader, MASK } from './stomp/secrets.js';
import type { LatencySummary } from './stats/latency.js';
import type { Direction, Severity, StompVersion } from './stomp/types.js';
import type { Handshake } from './transport/handshake.js';

export interface SessionSummaryDto {
  session: number;
  kind: string;
  name: string;
  started: string | null;
  ended: string | null;
  state: string;
  connections: number;
  frames: number;
}

export interface ConnectionDto {
  session: number;
  connection: number;
  client: string;
  broker: string;
  /** 'tcp', 'tls', 'websocket', 'websocket+tls', 'sockjs', 'sockjs+tls'. */
  transport: string;
  /** The WebSocket / SockJS handshake (credentials masked); null for TCP and TLS. */
  handshake?: Handshake | null;
  version: StompVersion | null;
  opened: string | null;
  closed: string | null;
  closeReason: string | null;
  frames: Record<Direction, number>;
  heartbeats: Record<Direction, number>;
  bytes: Record<Direction, number>;
  issues: number;
}

export interface FrameRowDto {
  id: number;
  connection: number;
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
  /** StompScope wrote this frame into a live connection itself (injected, issue 5); absent or false otherwise. */
  injected?: boolean;
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

export interface ProxyOptionsDto {
  /** HOST:PORT or PORT (loopback); port 0 picks a free one. */
  listen: string;
  /** HOST:PORT of the broker, or its STOMP over WebSocket endpoint ws://HOST:PORT/PATH (wss:// is TLS). */
  upstream: string;
  upstreamTls?: boolean;
  /** Accept any broker certificate (needs `upstreamTls`). */
  insecure?: boolean;
  /**
   * PEM text of the CA certificate(s) to trust for `upstreamTls` instead of the system's: the content of a file
   * the user picked, never a path (the page does not name files on the machine, and the core may run elsewhere).
   */
  ca?: string;
  /** PEM text of the certificate, and of its private key, to accept TLS from clients (both or neither). */
  tlsCert?: string;
  tlsKey?: string;
  name?: string;
  /** The broker profile for expert info (as the CLI's --profile); absent: detected from CONNECTED's server header. */
  profile?: ProfileName;
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

export interface ReplayStartDto {
  /** The recorded connection whose client side is replayed. */
  connection: number;
  /** HOST:PORT of the broker to replay against. Always given: a replay sends real frames, so there is no default. */
  target: string;
  targetTls?: boolean;
  /** Accept any broker certificate (needs `targetTls`). */
  insecure?: boolean;
  /** PEM text of the CA certificate(s) to trust for `targetTls` (the content of a picked file, as in proxy.start). */
  ca?: string;
  /** Recorded pauses are divided by this (default 1). */
  speed?: number;
  /** No pauses at all (waits for answers are kept); excludes `speed`. */
  asFastAsPossible?: boolean;
  login?: string;
  /** Required when the recorded passcode is masked: a masked value is never sent. */
  passcode?: string;
  /** Exact destination names to rewrite on client frames, as [from, to] pairs. */
  mapDestination?: Array<[string, string]>;
  /** Last client frame to replay, by its seq in the recorded connection. */
  until?: number;
  /** Longest wait for one answer, and for the connection (default 10 s). */
  timeoutMs?: number;
  name?: string;
  /**
   * The user confirmed replaying against the broker the connection was recorded with (see
   * shared/replay-target.ts): without it the core refuses such a target with `conflict`.
   */
  confirmOriginalBroker?: boolean;
}

export interface ReplayFindingDto {
  code: string;
  severity: Severity;
  message: string;
  /** The recorded frame concerned, by its seq in the original connection. */
  seq: number | null;
}

export interface ReplayDiffDto extends BrokerDiff {
  a: { session: number; connection: number; version: StompVersion | null };
  b: { session: number; connection: number; version: StompVersion | null };
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

/** `frame.inject`: an edited client frame written into a live proxied connection, between two client frames. */
export interface InjectArgsDto {
  connection: number;
  frame: EditedFrameDto;
  /** Longest wait for the client to finish the frame it is in the middle of (default 10 s). */
  timeoutMs?: number;
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
}

/** Client commands that may be injected into a connection that is already connected. */
export const INJECTABLE_COMMANDS = ['SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'BEGIN', 'COMMIT', 'ABORT', 'ACK', 'NACK', 'DISCONNECT'] as const;

export interface ResendArgsDto {
  /** The recorded client frame this resend is an edit of (kept in the new session's meta as `resendOf`). */
  id: number;
  target: string;
  targetTls?: boolean;
  insecure?: boolean;
  ca?: string;
  /** Sent first, and CONNECTED awaited; null sends `frame` alone (e.g. when it is itself a CONNECT). */
  connect: EditedFrameDto | null;
  frame: EditedFrameDto;
  /** Longest wait for CONNECTED and for a RECEIPT (default 10 s). */
  timeoutMs?: number;
  name?: string;
  confirmOriginalBroker?: boolean;
}

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
  /** `frameId` is the frame the issue is about (not the nearest frame of its connection). */
  onFrame: boolean;
  connection: number | null;
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
}

/** The languages of "copy as code" (`export.code`, `stompscope export --format`). */
export const CODE_LANGUAGES = ['stomp.py', 'stompjs'] as const;
export type CodeLanguageDto = (typeof CODE_LANGUAGES)[number];

export interface ExportCodeArgsDto {
  /** One client frame (sent after its connection's CONNECT)… */
  frame?: number;
  /** …or a whole client connection. */
  connection?: number;
  language: CodeLanguageDto;
  revealSecrets?: boolean;
}

export interface ExportCodeDto {
  text: string;
  /** A file name to suggest (.py or .mjs). */
  filename: string;
  connection: number;
  /** Client frames the code sends after its CONNECT. */
  frames: number;
}

/** Largest body a resend carries (base64 characters): inside one WebSocket message of the web host (1 MiB). */
export const MAX_RESEND_BODY_BASE64 = 700_000;

/** Most entries per code in one `session.expertInfo` answer. */
export const MAX_EXPERT_ENTRIES = 1000;

/** Most frame ids in one `diagram.links` request (a screenful of rows is well under it). */
export const MAX_LINK_IDS = 5000;

/** Most time buckets in one `session.stats` answer. */
export const MAX_STATS_BUCKETS = 2000;

/** Most destination mappings one replay takes (each is typed by a person). */
export const MAX_DESTINATION_MAPPINGS = 100;

export interface Commands {
  'sessions.list': { args: Record<string, never>; result: SessionSummaryDto[] };
  'sessions.rename': { args: { session: number; name: string }; result: SessionSummaryDto };
  'sessions.delete': { args: { session: number }; result: { deleted: number } };
  'connections.list': { args: { session: number }; result: ConnectionDto[] };
  /** Keyset paging: frames of a session with id > `after`, in capture order, optionally filtered. */
  'frames.page': { args: { session: number; after: number; limit: number; filter?: string }; result: FrameRowDto[] };
  /**
   * Opens a display-filtered view of a session: the core keeps the matching ids, the UI asks for windows of
   * rows by position. New frames of a recording session are added as they arrive.
   */
  'frames.query': { args: { session: number; filter: string }; result: QueryDto };
  'frames.window': { args: { query: number; start: number; count: number }; result: WindowDto };
  /** Position of a frame in a query (or of the nearest frame after it), for "select this frame". */
  'frames.indexOf': { args: { query: number; id: number }; result: { index: number; total: number } };
  'frames.close': { args: { query: number }; result: { closed: boolean } };
  /** Credentials (login, passcode, token-like headers) come masked unless `revealSecrets` is set. */
  'frame.detail': { args: { id: number; maxBytes?: number; revealSecrets?: boolean }; result: FrameDetailDto };
  /** The previous frame (by capture order) of the same session with the same command and destination. */
  'frame.previousOnDestination': { args: { id: number }; result: { id: number | null } };
  'heartbeats.range': { args: { session: number; from: number; to: number }; result: HeartbeatDto[] };
  /**
   * The sequence diagram of a whole query (a session through a display filter) as a standalone SVG document,
   * computed in the core over its first `maxFrames` frames (at most MAX_EXPORT_FRAMES, the default), so the page
   * never loads the session's rows to export it. `capped` says the diagram stops before the query's end.
   */
  'diagram.export': { args: { query: number; maxFrames?: number }; result: { svg: string; frames: number; total: number; capped: boolean } };
  'filter.check': { args: { filter: string }; result: { error: FilterErrorDto | null } };
  'proxy.start': { args: ProxyOptionsDto; result: ProxyDto };
  'proxy.stop': { args: { session: number }; result: { stopped: boolean } };
  'proxy.list': { args: Record<string, never>; result: ProxyDto[] };
  /**
   * Imports a capture file the host received (an upload to the web host, a file chosen in the desktop app's
   * dialog), named by the id the host gave it: the UI never names files on the machine. Answers at once;
   * `import.progress` and `import.done` follow.
   */
  'import.start': { args: { upload: string; name?: string }; result: { job: number } };
  /**
   * Prepares an export of a session's frames (through a display filter) in the `frames --jsonl` shape. The
   * answer is a single-use ticket the host turns into a file: a download from the web host, a save dialog in
   * the desktop app.
   */
  'session.export': {
    /** `format` pcapng: the whole session as a capture (TCP/IP headers synthesized); it takes no filter (give ''). */
    args: { session: number; filter: string; revealSecrets?: boolean; format?: 'jsonl' | 'pcapng' }; result: { ticket: string; filename: string };
  };
  /**
   * "Copy as code": a stomp.py script or a @stomp/stompjs module that reproduces one client frame (after its
   * connection's CONNECT) or a whole client connection, as `stompscope export --format stomp.py|stompjs`. Give
   * `frame` or `connection`. Credentials become constants to fill in unless `revealSecrets`.
   */
  'export.code': { args: ExportCodeArgsDto; result: ExportCodeDto };
  /**
   * Replays the client side of a recorded connection against `target`, recorded as a new session of kind 'replay'
   * (as `stompscope replay`). Mistakes that need no network (unknown connection, masked passcode without one,
   * the original broker without confirmation) are refused at once; otherwise it answers with a job id, and
   * `replay.progress` and `replay.done` follow.
   */
  'replay.start': { args: ReplayStartDto; result: { job: number } };
  /**
   * What the broker sent on two connections, compared by correlation (as `stompscope diff`). Credential header
   * values come masked unless `revealSecrets` is set.
   */
  'replay.diff': { args: { a: number; b: number; includeVolatile?: boolean; revealSecrets?: boolean }; result: ReplayDiffDto };
  /** The editor's starting point for "Edit and resend…" of a client frame. */
  'frame.resendDraft': { args: { id: number }; result: ResendDraftDto };
  /**
   * Sends an edited frame on a NEW connection to `target`, after the (edited) CONNECT, waits for the answers, and
   * records the exchange as a session of kind 'replay' with meta `resendOf`. Answers when the exchange is over.
   */
  'frame.resend': { args: ResendArgsDto; result: ResendResultDto };
  /**
   * Writes an edited client frame into a live connection of a proxy this core runs, towards the broker, at the
   * next boundary between the client's frames; recorded there with frames.injected set. Answers once written.
   */
  'frame.inject': { args: InjectArgsDto; result: InjectResultDto };
  /** The session's issues grouped by severity then code (Wireshark's Expert Info), with the first entries of each. */
  'session.expertInfo': { args: { session: number; connection?: number; entries?: number }; result: ExpertInfoDto };
  /** The frames correlated with one frame, both ways (at most `limit`, default 200; `total` counts them all). */
  'frame.links': { args: { id: number; limit?: number }; result: { links: FrameLinkDto[]; total: number } };
  /** The links that start or end at any of these frames (the rows a diagram shows). */
  'diagram.links': { args: { ids: number[] }; result: LinkDto[] };
  /**
   * Per-destination SEND/MESSAGE counts over at most `buckets` (default 60) round time buckets (1, 2 or 5 × 10^n µs),
   * and latency statistics per correlation kind. The whole session, whatever the display filter.
   */
  'session.stats': { args: { session: number; buckets?: number; destinations?: number }; result: SessionStatsDto };
}

export interface Events {
  /** New frames were recorded into a session (its largest frame id and its frame count now). */
  'frames.appended': { session: number; lastId: number; frames: number };
  /**
   * New issues (wire issues, connection events, analysis findings) were recorded into a session being recorded,
   * its largest issue id now: some come without a new frame (a peer silent past its heart-beat, found by the clock).
   */
  'issues.appended': { session: number; lastId: number };
  /** Sessions were added, renamed, deleted, or changed state. */
  'sessions.changed': Record<string, never>;
  'import.progress': { job: number; name: string; done: number; total: number };
  'import.done': { job: number; name: string; session: number | null; frames: number; complete: boolean; error: string | null };
  /** Client frames of the original connection handled so far (sent or skipped), of `total`. */
  'replay.progress': { job: number; original: number; session: number | null; sent: number; total: number };
  /**
   * A replay ended: its session and connection (null when it could not start: `error` says why), frames sent and
   * received, and findings (timeouts, broker ERRORs, ACKs that could not be re-pointed).
   */
  'replay.done': {
    job: number; original: number; session: number | null; connection: number | null; sent: number; received: number;
    findings: ReplayFindingDto[]; error: string | null;
  };
  /** A host-level request to the UI (a native menu item, a dropped file). */
  'ui.action': { action: 'start-proxy' | 'export' | 'open-capture' };
}

export type CommandName = keyof Commands;
export type CommandArgs<C extends CommandName> = Commands[C]['args'];
export type CommandResult<C extends CommandName> = Commands[C]['result'];
export type EventName = keyof Events;
export type EventListener = <E extends EventName>(event: E, data: Events[E]) => void;

export const COMMAND_NAMES: readonly CommandName[] = [
  'sessions.list', 'sessions.rename', 'sessions.delete', 'connections.list', 'frames.page', 'frames.query', 'frames.window',
  'frames.indexOf', 'frames.close', 'frame.detail', 'frame.previousOnDestination', 'heartbeats.range', 'diagram.export', 'filter.check',
  'proxy.start', 'proxy.stop', 'proxy.list', 'import.start', 'session.export', 'replay.start', 'replay.diff',
  'frame.resendDraft', 'frame.resend', 'frame.inject', 'session.expertInfo', 'frame.links', 'diagram.links', 'session.stats',
  'export.code',
];

export const EVENT_NAMES: readonly EventName[] = [
  'frames.appended', 'issues.appended', 'sessions.changed', 'import.progress', 'import.done', 'replay.progress', 'replay.done', 'ui.action',
];

export function isCommandName(x: unknown): x is CommandName {
  return typeof x === 'string' && (COMMAND_NAMES as readonly string[]).includes(x);
}

export function isEventName(x: unknown): x is EventName {
  return typeof x === 'string' && (EVENT_NAMES as readonly string[]).includes(x);
}

/** Longest display filter accepted (a filter is typed by a person). */
export const MAX_FILTER_LENGTH = 4096;

/**
 * Largest PEM text accepted in `proxy.start`: room for a CA bundle (Debian's whole ca-certificates.crt is about
 * 220 KB) while three of them stay well inside one WebSocket message of the web host (1 MiB).
 */
export const MAX_PEM_LENGTH = 256 * 1024;

export type PemKind = 'certificate' | 'key';

/**
 * Why `text` is not PEM of the kind asked for, or null. Only the armour is checked here (shared code has no
 * crypto); the core then loads it with node:tls and reports what OpenSSL thinks.
 */
export function pemProblem(text: string, kind: PemKind): string | null {
  if (text.length > MAX_PEM_LENGTH) return `is larger than ${MAX_PEM_LENGTH / 1024} KB`;
  // BEGIN and END lines are matched separately: one regex spanning a block backtracks quadratically on hostile text.
  const ends = new Set([...text.matchAll(/-----END ([A-Z0-9 ]{1,40})-----/g)].map((m) => m[1]));
  const labels = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]{1,40})-----/g)].map((m) => m[1]).filter((l) => ends.has(l));
  if (!labels.length) return 'is not PEM (no -----BEGIN …----- / -----END …----- block)';
  if (kind === 'certificate' && !labels.includes('CERTIFICATE')) return `holds no CERTIFICATE block (found ${labels.join(', ')})`;
  if (kind === 'key' && !labels.some((l) => l.endsWith('PRIVATE KEY'))) return `holds no PRIVATE KEY block (found ${labels.join(', ')})`;
  return null;
}

/** Validates untrusted arguments (from IPC or a WebSocket) before they reach the core. */
export function validateArgs<C extends CommandName>(cmd: C, args: unknown): CommandArgs<C> {
  const a = (args ?? {}) as Record<string, unknown>;
  if (typeof a !== 'object' || Array.isArray(a)) throw new ApiError('bad-request', `${cmd}: arguments must be an object`);
  const int = (name: string, min = 0, max = Number.MAX_SAFE_INTEGER, optional = false) => {
    const v = a[name];
    if (optional && v === undefined) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new ApiError('bad-request', `${cmd}: '${name}' must be an integer from ${min} to ${max}`);
    }
  };
  const str = (name: string, max: number, optional = false) => {
    const v = a[name];
    if (optional && v === undefined) return;
    if (typeof v !== 'string' || v.length > max) throw new ApiError('bad-request', `${cmd}: '${name}' must be a string of at most ${max} characters`);
  };
  const bool = (name: string) => {
    const v = a[name];
    if (v !== undefined && typeof v !== 'boolean') throw new ApiError('bad-request', `${cmd}: '${name}' must be true or false`);
  };
  const pem = (name: string, kind: PemKind, what: string) => {
    str(name, MAX_PEM_LENGTH, true);
    const problem = a[name] === undefined ? null : pemProblem(a[name] as string, kind);
    if (problem) throw new ApiError('bad-request', `${cmd}: the ${what} ${problem}`);
  };
  /** An explicit broker to send to, and its TLS options (replay.start, frame.resend; the CLI's --target rules). */
  const targetArgs = () => {
    str('target', 300);
    const target = parseTarget(a.target as string);
    if (typeof target === 'string') throw new ApiError('bad-request', `${cmd}: target: ${target}`);
    for (const b of ['targetTls', 'insecure', 'confirmOriginalBroker']) bool(b);
    pem('ca', 'certificate', 'CA file');
    if ((a.ca !== undefined || a.insecure) && !a.targetTls) throw new ApiError('bad-request', `${cmd}: a CA or "accept any certificate" needs TLS to the target`);
    if (a.ca !== undefined && a.insecure) throw new ApiError('bad-request', `${cmd}: a CA and "accept any certificate" exclude each other`);
  };
  /** An edited frame (frame.resend, frame.inject). */
  const edited = (v: unknown, what: string, connect: boolean) => {
    const f = v as Partial<EditedFrameDto> | null;
    if (typeof f !== 'object' || f === null || Array.isArray(f)) throw new ApiError('bad-request', `${cmd}: '${what}' must be a frame`);
    if (typeof f.command !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(f.command)) {
      throw new ApiError('bad-request', `${cmd}: the ${what} command must be a word of letters (e.g. SEND)`);
    }
    if (connect && f.command !== 'CONNECT' && f.command !== 'STOMP') throw new ApiError('bad-request', `${cmd}: the connect frame must be CONNECT or STOMP`);
    if (!Array.isArray(f.headers) || f.headers.length > 500) throw new ApiError('bad-request', `${cmd}: the ${what} headers must be a list of at most 500`);
    for (const h of f.headers as unknown[]) {
      if (!Array.isArray(h) || h.length !== 2 || typeof h[0] !== 'string' || typeof h[1] !== 'string' || !h[0] || h[0].length > 1000 || h[1].length > 65_536) {
        throw new ApiError('bad-request', `${cmd}: each ${what} header is [name, value] with a non-empty name`);
      }
      // A masked credential is a placeholder of the UI, never a value to send (issue 5: credentials).
      if (isSecretHeader(h[0]) && h[1] === MASK) throw new ApiError('bad-request', `${cmd}: re-enter the ${what} header '${h[0]}': it is masked, and a masked value is never sent`);
    }
    if (typeof f.bodyBase64 !== 'string' || f.bodyBase64.length > MAX_RESEND_BODY_BASE64 || f.bodyBase64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(f.bodyBase64)) {
      throw new ApiError('bad-request', `${cmd}: the ${what} body must be base64 of at most ${MAX_RESEND_BODY_BASE64} characters`);
    }
  };
  switch (cmd) {
    case 'sessions.list':
    case 'proxy.list':
      break;
    case 'sessions.rename':
      int('session', 1);
      str('name', 200);
      if (!(a.name as string).trim()) throw new ApiError('bad-request', `${cmd}: 'name' must not be empty`);
      break;
    case 'sessions.delete':
    case 'connections.list':
    case 'proxy.stop':
      int('session', 1);
      break;
    case 'frames.page':
      int('session', 1);
      int('after', 0);
      int('limit', 1, 10_000);
      str('filter', MAX_FILTER_LENGTH, true);
      break;
    case 'frames.query':
      int('session', 1);
      str('filter', MAX_FILTER_LENGTH);
      break;
    case 'frames.window':
      int('query', 1);
      int('start', 0);
      int('count', 0, 5_000);
      break;
    case 'frames.indexOf':
      int('query', 1);
      int('id', 0);
      break;
    case 'frames.close':
      int('query', 1);
      break;
    case 'frame.detail':
      int('id', 1);
      int('maxBytes', 0, 16 * 1024 * 1024, true);
      bool('revealSecrets');
      break;
    case 'frame.previousOnDestination':
      int('id', 1);
      break;
    case 'heartbeats.range':
      int('session', 1);
      int('from', 0);
      int('to', 0);
      break;
    case 'diagram.export':
      int('query', 1);
      int('maxFrames', 1, MAX_EXPORT_FRAMES, true);
      break;
    case 'filter.check':
      str('filter', MAX_FILTER_LENGTH);
      break;
    case 'export.code':
      int('frame', 1, Number.MAX_SAFE_INTEGER, true);
      int('connection', 1, Number.MAX_SAFE_INTEGER, true);
      if ((a.frame === undefined) === (a.connection === undefined)) throw new ApiError('bad-request', `${cmd}: give 'frame' or 'connection'`);
      if (!(CODE_LANGUAGES as readonly unknown[]).includes(a.language)) throw new ApiError('bad-request', `${cmd}: 'language' must be one of ${CODE_LANGUAGES.join(', ')}`);
      bool('revealSecrets');
      break;
    case 'session.export':
      int('session', 1);
      str('filter', MAX_FILTER_LENGTH);
      bool('revealSecrets');
      if (a.format !== undefined && a.format !== 'jsonl' && a.format !== 'pcapng') throw new ApiError('bad-request', `${cmd}: 'format' must be jsonl or pcapng`);
      break;
    case 'import.start':
      str('upload', 100);
      str('name', 200, true);
      break;
    case 'proxy.start': {
      str('listen', 300);
      str('upstream', 300);
      str('name', 200, true);
      bool('upstreamTls');
      bool('insecure');
      pem('ca', 'certificate', 'CA file');
      pem('tlsCert', 'certificate', 'certificate file');
      pem('tlsKey', 'key', 'key file');
      if (a.profile !== undefined && (typeof a.profile !== 'string' || !isProfileName(a.profile))) throw new ApiError('bad-request', `${cmd}: 'profile' must be one of ${PROFILE_NAMES.join(', ')}`);
      // The same rules as the CLI's --ca / --insecure / --tls-cert / --tls-key.
      if ((a.ca !== undefined || a.insecure) && !a.upstreamTls && !/^wss:\/\//i.test(String(a.upstream))) throw new ApiError('bad-request', `${cmd}: a CA or "accept any certificate" needs TLS to the broker`);
      if ((a.tlsCert === undefined) !== (a.tlsKey === undefined)) throw new ApiError('bad-request', `${cmd}: the certificate and the key for clients go together`);
      break;
    }
    case 'replay.start': {
      int('connection', 1);
      targetArgs();
      bool('asFastAsPossible');
      // The same rules as the CLI's --speed / --as-fast-as-possible.
      if (a.speed !== undefined) {
        if (typeof a.speed !== 'number' || !Number.isFinite(a.speed) || a.speed <= 0 || a.speed > 1000) {
          throw new ApiError('bad-request', `${cmd}: 'speed' must be a number above 0 and at most 1000`);
        }
        if (a.asFastAsPossible) throw new ApiError('bad-request', `${cmd}: 'speed' and 'asFastAsPossible' exclude each other`);
      }
      // CONNECT headers are never escaped (STOMP 1.2 §Value Encoding): a line break or NUL cannot be carried.
      for (const name of ['login', 'passcode']) {
        str(name, 1000, true);
        if (typeof a[name] === 'string' && /[\r\n\0]/.test(a[name] as string)) throw new ApiError('bad-request', `${cmd}: '${name}' cannot contain a line break or NUL`);
      }
      const map = a.mapDestination;
      if (map !== undefined) {
        if (!Array.isArray(map) || map.length > MAX_DESTINATION_MAPPINGS) {
          throw new ApiError('bad-request', `${cmd}: 'mapDestination' must be a list of at most ${MAX_DESTINATION_MAPPINGS} [from, to] pairs`);
        }
        const seen = new Set<string>();
        for (const p of map as unknown[]) {
          if (!Array.isArray(p) || p.length !== 2 || p.some((x) => typeof x !== 'string' || !x || x.length > 1000 || /[\r\n\0]/.test(x))) {
            throw new ApiError('bad-request', `${cmd}: each destination mapping is [from, to], two non-empty names without line breaks`);
          }
          if (seen.has(p[0] as string)) throw new ApiError('bad-request', `${cmd}: '${p[0] as string}' is mapped twice`);
          seen.add(p[0] as string);
        }
      }
      int('until', 1, Number.MAX_SAFE_INTEGER, true);
      int('timeoutMs', 100, 600_000, true);
      str('name', 200, true);
      break;
    }
    case 'replay.diff':
      int('a', 1);
      int('b', 1);
      bool('includeVolatile');
      bool('revealSecrets');
      break;
    case 'frame.resendDraft':
      int('id', 1);
      break;
    case 'frame.resend': {
      int('id', 1);
      targetArgs();
      if (a.connect !== null) edited(a.connect, 'connect', true);
      edited(a.frame, 'frame', false);
      int('timeoutMs', 100, 600_000, true);
      str('name', 200, true);
      break;
    }
    case 'frame.inject':
      int('connection', 1);
      edited(a.frame, 'frame', false);
      int('timeoutMs', 100, 600_000, true);
      break;
    case 'session.expertInfo':
      int('session', 1);
      int('connection', 1, Number.MAX_SAFE_INTEGER, true);
      int('entries', 0, MAX_EXPERT_ENTRIES, true);
      break;
    case 'frame.links':
      int('id', 1);
      int('limit', 1, 10_000, true);
      break;
    case 'diagram.links': {
      const ids = a.ids;
      if (!Array.isArray(ids) || ids.length > MAX_LINK_IDS || ids.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 1)) {
        throw new ApiError('bad-request', `${cmd}: 'ids' must be a list of at most ${MAX_LINK_IDS} frame ids`);
      }
      break;
    }
    case 'session.stats':
      int('session', 1);
      int('buckets', 1, MAX_STATS_BUCKETS, true);
      int('destinations', 1, 100, true);
      break;
  }
  return a as CommandArgs<C>;
}

/**
 * `timeout`: a read ran past the core's time limit and was stopped; `cancelled`: a newer frames.query of the same
 * UI replaced it before it ended.
 */
export type ApiErrorCode = 'bad-request' | 'bad-filter' | 'not-found' | 'conflict' | 'internal' | 'timeout' | 'cancelled';

export class ApiError extends Error {
  constructor(readonly code: ApiErrorCode, message: string, readonly detail?: FilterErrorDto) {
    super(message);
  }
}

/** What every transport offers the UI: one function, and (where the host has them) events. */
export interface ApiTransport {
  invoke<C extends CommandName>(cmd: C, args: CommandArgs<C>): Promise<CommandResult<C>>;
  /** Registers the one event listener of this transport. */
  listen?(listener: (event: string, data: unknown) => void): void;
  /** Hands a file (a DOM File) to the host; resolves with the upload id for `import.start`. Web host only. */
  upload?(file: UploadFile): Promise<string>;
  /** Turns an export ticket into a file the user keeps (download, or the desktop app's save dialog). */
  saveExport?(ticket: string, filename: string): Promise<void>;
}

/** What the UI knows of a file to upload (a DOM File, typed here without the DOM). */
export interface UploadFile {
  readonly name: string;
  readonly size: number;
}

/** The typed client the UI uses; it never knows which transport is under it. */
export class ApiClient {
  private readonly listeners = new Map<string, Set<(data: never) => void>>();

  constructor(private readonly transport: ApiTransport) {
    transport.listen?.((event, data) => {
      if (!isEventName(event)) return;
      for (const fn of this.listeners.get(event) ?? []) fn(data as never);
    });
  }

  invoke<C extends CommandName>(cmd: C, args: CommandArgs<C>): Promise<CommandResult<C>> {
    return this.transport.invoke(cmd, args);
  }

  /** Whether files can be uploaded (web host); in the desktop app, the native File › Open capture… imports. */
  get canUpload(): boolean {
    return !!this.transport.upload;
  }

  upload(file: UploadFile): Promise<string> {
    if (!this.transport.upload) return Promise.reject(new ApiError('bad-request', 'this host takes files from its own dialog'));
    return this.transport.upload(file);
  }

  saveExport(ticket: string, filename: string): Promise<void> {
    if (!this.transport.saveExport) return Promise.reject(new ApiError('bad-request', 'this host cannot save files'));
    return this.transport.saveExport(ticket, filename);
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, fn: (data: Events[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as (data: never) => void);
    return () => set!.delete(fn as (data: never) => void);
  }
}
