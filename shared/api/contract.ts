// The one contract between the UI and the core: every host (Electron IPC, the web host's WebSocket, the CLI)
// carries these commands and nothing else, and the core implements each once. One table holds each command's
// argument schema and description; the command names, the argument types and the validation every host runs are
// derived from it, and the result types come from CommandResults. A command missing from either fails to compile.
import { PROFILE_NAMES } from '../analysis/profiles.js';
import { parseTarget } from '../replay-target.js';
import { isSecretHeader, MASK } from '../stomp/secrets.js';
import { MAX_RULES } from '../rules/rules.js';
import type {
  HeldFrameDto, ProxyRulesDto,
  CaptureDto, CaptureInterfacesDto, ConnectionDto, ConnectionOverviewDto, EditedFrameDto, FollowDto, ExpertInfoDto, ExportCodeDto, FilterErrorDto, FrameDetailDto, FrameLinkDto, FrameRowDto,
  HeartbeatDto, InjectResultDto, LinkDto, ProxyDto, QueryDto, ReplayDiffDto, ResendDraftDto, ResendResultDto, SessionStatsDto,
  SessionSummaryDto, SortDto, VocabularyDto, WindowDto,
} from './dtos.js';
import { CODE_LANGUAGES, SORT_COLUMNS } from './dtos.js';
import { ApiError } from './errors.js';
import {
  MAX_COLOUR_RULES, MAX_DESTINATION_MAPPINGS, MAX_DETAIL_BYTES, MAX_HEADER_COLUMNS, MAX_EXPERT_ENTRIES, MAX_EXPORT_FRAMES, MAX_FILTER_LENGTH, MAX_LINK_IDS, MAX_PAGE_ROWS, MAX_PEM_LENGTH,
  MAX_RESEND_BODY_BASE64, MAX_STATS_BUCKETS, MAX_WAIT_MS, MAX_WINDOW_ROWS, MAX_FOLLOW_FRAMES,
} from './limits.js';
import { pemProblem, type PemKind } from './pem.js';
import { arrayOf, bool, custom, int, nullable, num, obj, oneOf, refine, str, type Infer, type Schema, type Shape } from './schema.js';

// ---- Argument pieces used by several commands ----

/** `frames.query`'s order: `{ column, desc?, header? }`, `header` naming the header when `column` is 'header'. */
function sortSpec(): Schema<SortDto, true> {
  const column = oneOf(SORT_COLUMNS, { says: SORT_COLUMNS.join(', ') });
  const header = str({ max: 200, optional: true });
  return custom<SortDto>('a sort ({ column, desc, header })', (v, at) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `'${at.name}' must be an object { column, desc, header }`;
    const o = v as Record<string, unknown>;
    const p = column.problem(o.column, { cmd: at.cmd, name: `${at.name}.column` }) ?? bool().problem(o.desc, { cmd: at.cmd, name: `${at.name}.desc` })
      ?? header.problem(o.header, { cmd: at.cmd, name: `${at.name}.header` });
    if (p) return p;
    return o.column === 'header' && !o.header ? `'${at.name}.header' must name a header when sorting by a header` : null;
  }, { optional: true }) as Schema<SortDto, true>;
}

/** A row id: sessions, connections, frames and queries count from 1. */
const id = () => int({ min: 1 });
const optionalId = () => int({ min: 1, optional: true });
const filter = () => str({ max: MAX_FILTER_LENGTH });
const name = () => str({ max: 200, optional: true });
const waitMs = () => int({ min: 100, max: MAX_WAIT_MS, optional: true });

/** PEM text of a picked file (never a path), of the kind asked for; `what` names it in the message. */
function pem(kind: PemKind, what: string): Schema<string, true> {
  return refine(str({ max: MAX_PEM_LENGTH, optional: true }), (text) => {
    const problem = pemProblem(text, kind);
    return problem ? `the ${what} ${problem}` : null;
  });
}

/** A value of a CONNECT header: never escaped (STOMP 1.2 §Value Encoding), so a line break or NUL cannot be carried. */
const connectValue = () =>
  refine(str({ max: 1000, optional: true }), (v, at) => (/[\r\n\0]/.test(v) ? `'${at.name}' cannot contain a line break or NUL` : null));

/** An explicit broker to send to (replay.start, frame.resend), with the CLI's --target rules. */
const target = () => refine(str({ max: 300 }), (v) => {
  const t = parseTarget(v);
  return typeof t === 'string' ? `target: ${t}` : null;
});

/** The TLS options towards an explicit target, and the confirmation to send to the recorded broker. */
const targetTls = {
  targetTls: bool(),
  /** Accept any broker certificate (needs `targetTls`). */
  insecure: bool(),
  /**
   * The user confirmed sending to the broker the connection was recorded with (see shared/replay-target.ts):
   * without it the core refuses such a target with `conflict`.
   */
  confirmOriginalBroker: bool(),
  /** PEM text of the CA certificate(s) to trust for `targetTls` (the content of a picked file, as in proxy.start). */
  ca: pem('certificate', 'CA file'),
};

/** The same rules as the CLI's --ca / --insecure with --target-tls. */
function targetTlsRule(a: { targetTls?: boolean; insecure?: boolean; ca?: string }): string | null {
  if ((a.ca !== undefined || a.insecure) && !a.targetTls) return 'a CA or "accept any certificate" needs TLS to the target';
  if (a.ca !== undefined && a.insecure) return 'a CA and "accept any certificate" exclude each other';
  return null;
}

/**
 * A frame as edited in the UI (frame.resend, frame.inject); `connect`: it must be a CONNECT or STOMP frame. The
 * argument's name is the frame's name in the messages ("the connect headers …").
 */
function editedFrame(connect: boolean): Schema<EditedFrameDto> {
  return custom<EditedFrameDto>('frame {command, headers: [name, value][], bodyBase64}', (v, { name: what }) => {
    const f = v as Partial<EditedFrameDto> | null;
    if (typeof f !== 'object' || f === null || Array.isArray(f)) return `'${what}' must be a frame`;
    if (typeof f.command !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(f.command)) return `the ${what} command must be a word of letters (e.g. SEND)`;
    if (connect && f.command !== 'CONNECT' && f.command !== 'STOMP') return 'the connect frame must be CONNECT or STOMP';
    if (!Array.isArray(f.headers) || f.headers.length > 500) return `the ${what} headers must be a list of at most 500`;
    for (const h of f.headers as unknown[]) {
      if (!Array.isArray(h) || h.length !== 2 || typeof h[0] !== 'string' || typeof h[1] !== 'string' || !h[0] || h[0].length > 1000 || h[1].length > 65_536) {
        return `each ${what} header is [name, value] with a non-empty name`;
      }
      // A masked credential is a placeholder of the UI, never a value to send.
      if (isSecretHeader(h[0]) && h[1] === MASK) return `re-enter the ${what} header '${h[0]}': it is masked, and a masked value is never sent`;
    }
    if (typeof f.bodyBase64 !== 'string' || f.bodyBase64.length > MAX_RESEND_BODY_BASE64 || f.bodyBase64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(f.bodyBase64)) {
      return `the ${what} body must be base64 of at most ${MAX_RESEND_BODY_BASE64} characters`;
    }
    return null;
  });
}

/** Exact destination names to rewrite, as distinct [from, to] pairs of names a CONNECT-free header can carry. */
const destinationMappings = custom<Array<[string, string]>>(`list of at most ${MAX_DESTINATION_MAPPINGS} [from, to] pairs`, (map, at) => {
  if (!Array.isArray(map) || map.length > MAX_DESTINATION_MAPPINGS) return `'${at.name}' must be a list of at most ${MAX_DESTINATION_MAPPINGS} [from, to] pairs`;
  const seen = new Set<string>();
  for (const p of map as unknown[]) {
    if (!Array.isArray(p) || p.length !== 2 || p.some((x) => typeof x !== 'string' || !x || x.length > 1000 || /[\r\n\0]/.test(x))) {
      return 'each destination mapping is [from, to], two non-empty names without line breaks';
    }
    if (seen.has(p[0] as string)) return `'${p[0] as string}' is mapped twice`;
    seen.add(p[0] as string);
  }
  return null;
}, { optional: true });

// ---- Arguments that have a name of their own (the core's managers take them whole) ----

const proxyOptions = obj({
  /** HOST:PORT or PORT (loopback); port 0 picks a free one. */
  listen: str({ max: 300 }),
  /** HOST:PORT of the broker, or its STOMP over WebSocket endpoint ws://HOST:PORT/PATH (wss:// is TLS). */
  upstream: str({ max: 300 }),
  name: name(),
  upstreamTls: bool(),
  /** Accept any broker certificate (needs `upstreamTls`). */
  insecure: bool(),
  /**
   * PEM text of the CA certificate(s) to trust for `upstreamTls` instead of the system's: the content of a file
   * the user picked, never a path (the page does not name files on the machine, and the core may run elsewhere).
   */
  ca: pem('certificate', 'CA file'),
  /** PEM text of the certificate, and of its private key, to accept TLS from clients (both or neither). */
  tlsCert: pem('certificate', 'certificate file'),
  tlsKey: pem('key', 'key file'),
  /** The broker profile for expert info (as the CLI's --profile); absent: detected from CONNECTED's server header. */
  profile: oneOf(PROFILE_NAMES, { optional: true }),
},
// The same rules as the CLI's --ca / --insecure / --tls-cert / --tls-key.
(a) => ((a.ca !== undefined || a.insecure) && !a.upstreamTls && !/^wss:\/\//i.test(String(a.upstream)) ? 'a CA or "accept any certificate" needs TLS to the broker' : null),
(a) => ((a.tlsCert === undefined) !== (a.tlsKey === undefined) ? 'the certificate and the key for clients go together' : null));

const replayStart = obj({
  /** The recorded connection whose client side is replayed. */
  connection: id(),
  /** HOST:PORT of the broker to replay against. Always given: a replay sends real frames, so there is no default. */
  target: target(),
  ...targetTls,
  /** No pauses at all (waits for answers are kept); excludes `speed`. */
  asFastAsPossible: bool(),
  /** Recorded pauses are divided by this (default 1). The same rule as the CLI's --speed. */
  speed: num({ above: 0, max: 1000, optional: true }),
  login: connectValue(),
  /** Required when the recorded passcode is masked: a masked value is never sent. */
  passcode: connectValue(),
  /** Exact destination names to rewrite on client frames, as [from, to] pairs. */
  mapDestination: destinationMappings,
  /** Last client frame to replay, by its seq in the recorded connection. */
  until: optionalId(),
  /** Longest wait for one answer, and for the connection (default 10 s). */
  timeoutMs: waitMs(),
  name: name(),
}, { after: 'ca', rule: targetTlsRule }, { after: 'speed', rule: (a) => (a.speed !== undefined && a.asFastAsPossible ? "'speed' and 'asFastAsPossible' exclude each other" : null) });

const resendArgs = obj({
  /** The recorded client frame this resend is an edit of (kept in the new session's meta as `resendOf`). */
  id: id(),
  target: target(),
  ...targetTls,
  /** Sent first, and CONNECTED awaited; null sends `frame` alone (e.g. when it is itself a CONNECT). */
  connect: nullable(editedFrame(true)),
  frame: editedFrame(false),
  /** Longest wait for CONNECTED and for a RECEIPT (default 10 s). */
  timeoutMs: waitMs(),
  name: name(),
}, { after: 'ca', rule: targetTlsRule });

/** A rules list as the Rules panel sends it: checked by shared/rules when it arrives. */
const ruleList = custom<Array<Record<string, unknown>>>(`list of at most ${MAX_RULES} rules`, (v, at) => {
  if (!Array.isArray(v) || v.length > MAX_RULES) return `'${at.name}' must be a list of at most ${MAX_RULES} rules`;
  if (JSON.stringify(v).length > 1024 * 1024) return `'${at.name}' must be at most 1 MiB of JSON`;
  return null;
});

const optionalEditedFrame = custom<EditedFrameDto>('frame {command, headers: [name, value][], bodyBase64}', (v, at) => editedFrame(false).problem(v, at), { optional: true });

const injectArgs = obj({
  connection: id(),
  frame: editedFrame(false),
  /** Longest wait for the client to finish the frame it is in the middle of (default 10 s). */
  timeoutMs: waitMs(),
});

const exportCodeArgs = obj({
  /** One client frame (sent after its connection's CONNECT)… */
  frame: optionalId(),
  /** …or a whole client connection. */
  connection: optionalId(),
  language: oneOf(CODE_LANGUAGES),
  revealSecrets: bool(),
}, { after: 'connection', rule: (a) => ((a.frame === undefined) === (a.connection === undefined) ? "give 'frame' or 'connection'" : null) });

export type ProxyOptionsDto = Infer<typeof proxyOptions>;
export type ReplayStartDto = Infer<typeof replayStart>;
/** `frame.resend`: an edited frame sent on a new connection to `target`, after the (edited) CONNECT. */
export type ResendArgsDto = Infer<typeof resendArgs>;
/** `frame.inject`: an edited client frame written into a live proxied connection, between two client frames. */
export type InjectArgsDto = Infer<typeof injectArgs>;
export type ExportCodeArgsDto = Infer<typeof exportCodeArgs>;

// ---- The results ----

/** What each command answers. Its keys are the command names. */
export interface CommandResults {
  'sessions.list': SessionSummaryDto[];
  'sessions.rename': SessionSummaryDto;
  'sessions.delete': { deleted: number };
  'connections.list': ConnectionDto[];
  'frames.page': FrameRowDto[];
  'frames.query': QueryDto;
  'frames.window': WindowDto;
  /** `exact`: the frame asked for is the one at `index` (false: it is not in the query, `index` is the nearest after it). */
  'frames.indexOf': { index: number; total: number; exact: boolean };
  'frames.close': { closed: boolean };
  'frames.find': { index: number | null; wrapped: boolean };
  'session.vocabulary': VocabularyDto;
  'frame.detail': FrameDetailDto;
  /** `sameCommand`: the frame found has the same command (else it is the previous frame of any command there). */
  'frame.previousOnDestination': { id: number | null; sameCommand: boolean };
  'heartbeats.range': HeartbeatDto[];
  'diagram.export': { svg: string; frames: number; total: number; capped: boolean };
  'filter.check': { error: FilterErrorDto | null };
  'proxy.start': ProxyDto;
  'proxy.stop': { stopped: boolean };
  'proxy.list': ProxyDto[];
  'proxy.rules': ProxyRulesDto;
  'proxy.setRules': ProxyRulesDto;
  'intercept.list': HeldFrameDto[];
  'intercept.decide': { decided: boolean };
  'import.start': { job: number };
  'capture.interfaces': CaptureInterfacesDto;
  'capture.start': CaptureDto;
  'capture.stop': { stopped: boolean };
  'capture.list': CaptureDto[];
  'session.export': { ticket: string; filename: string };
  'export.code': ExportCodeDto;
  'replay.start': { job: number };
  'replay.diff': ReplayDiffDto;
  'frame.resendDraft': ResendDraftDto;
  'frame.resend': ResendResultDto;
  'frame.inject': InjectResultDto;
  'session.expertInfo': ExpertInfoDto;
  'frame.links': { links: FrameLinkDto[]; total: number };
  'diagram.links': LinkDto[];
  'session.stats': SessionStatsDto;
  'connections.overview': ConnectionOverviewDto[];
  'connection.follow': FollowDto;
}

export type CommandName = keyof CommandResults;

export interface CommandSpec {
  /** An object schema (obj()): its fields are the command's named arguments. */
  args: Schema<unknown> & { readonly fields: Shape };
  /** What the command does, for people (docs, tests' messages). */
  description: string;
}

// ---- The table ----

/**
 * Every command: its arguments and what it does. `satisfies` makes a command of CommandResults without an entry
 * (or an entry without a result type) a compile error, while each entry keeps its own schema's type.
 */
export const CONTRACT = {
  'sessions.list': { args: obj({}), description: 'The sessions, newest first, with their counts.' },
  'sessions.rename': {
    args: obj({ session: id(), name: refine(str({ max: 200 }), (v) => (v.trim() ? null : "'name' must not be empty")) }),
    description: 'Renames a session (the name is trimmed).',
  },
  'sessions.delete': { args: obj({ session: id() }), description: 'Deletes a session that is not recording, with its frames and bytes.' },
  'connections.list': { args: obj({ session: id() }), description: 'The connections of a session, with their counts.' },
  'frames.page': {
    args: obj({ session: id(), after: int(), limit: int({ min: 1, max: MAX_PAGE_ROWS }), filter: str({ max: MAX_FILTER_LENGTH, optional: true }) }),
    description: 'Keyset paging: frames of a session with id > `after`, in capture order, optionally filtered.',
  },
  'frames.query': {
    args: obj({
      session: id(),
      filter: filter(),
      /** Order of the whole view (default: capture order); ties keep capture order. */
      sort: sortSpec(),
    }),
    description: 'Opens a display-filtered view of a session: the core keeps the matching ids, the UI asks for windows of '
      + 'rows by position. New frames of a recording session are added as they arrive (at the end, also in a sorted view). '
      + '`sort` orders the whole view in the core (a column, or a header\'s value with `column: header`), so a window of a '
      + 'sorted million-frame view costs what one of capture order does.',
  },
  'frames.window': {
    args: obj({
      query: id(), start: int(), count: int({ max: MAX_WINDOW_ROWS }),
      /** Colouring rules (display filters), in priority order: each row says the first it matches (`colour`). */
      colours: arrayOf(filter(), { max: MAX_COLOUR_RULES, says: `a list of at most ${MAX_COLOUR_RULES} filters`, optional: true }),
      /** Header names whose values the rows carry (`columns`), for header columns. */
      headers: arrayOf(str({ max: 200 }), { max: MAX_HEADER_COLUMNS, says: `a list of at most ${MAX_HEADER_COLUMNS} header names`, optional: true }),
    }),
    description: 'Rows of an open query, by position; with `colours`, the first colouring rule each row matches, evaluated '
      + 'by the display filter engine on these rows only; with `headers`, those headers\' values.',
  },
  'frames.find': {
    args: obj({ query: id(), text: str({ max: 1000 }), from: int({ min: -1 }), backwards: bool() }),
    description: 'Find in the list: the position of the next frame of an open query after `from` (before it with `backwards`), '
      + 'wrapping around, whose command, a header name or value, or body text contains `text` (case-insensitive); null if none.',
  },
  'session.vocabulary': {
    args: obj({ session: id() }),
    description: 'Commands, destinations and issue codes seen in a session (in order, read along their indexes), and the '
      + 'header names of its first frames of each command (the most frequent first), for the display filter\'s completion.',
  },
  'frames.indexOf': {
    args: obj({
      query: id(),
      /** The frame's id… */
      id: int({ optional: true }),
      /** …or its number within the query's session (1..N, the list's No.), for "go to frame N". */
      number: int({ min: 1, optional: true }),
    }, { after: 'number', rule: (a) => ((a.id === undefined) === (a.number === undefined) ? "give 'id' or 'number'" : null) }),
    description: 'Position of a frame in a query (or of the nearest frame after it), for "select this frame": by its id, or by '
      + 'its number within the session ("go to frame N"). `exact` says whether that frame itself is in the query.',
  },
  'frames.close': { args: obj({ query: id() }), description: 'Closes an open query.' },
  'frame.detail': {
    args: obj({ id: id(), maxBytes: int({ max: MAX_DETAIL_BYTES, optional: true }), revealSecrets: bool() }),
    description: 'One frame: headers as on the wire and decoded, body and raw bytes (at most `maxBytes`), issues. '
      + 'Credentials (login, passcode, token-like headers) come masked unless `revealSecrets` is set.',
  },
  'frame.previousOnDestination': {
    args: obj({ id: id() }),
    description: 'The previous frame (by capture order) of the same session on the same destination: of the same command when '
      + 'there is one, else of any command (`sameCommand` says which).',
  },
  'heartbeats.range': { args: obj({ session: id(), from: int(), to: int() }), description: 'The heart-beats of a session between two times (µs).' },
  'diagram.export': {
    args: obj({ query: id(), maxFrames: int({ min: 1, max: MAX_EXPORT_FRAMES, optional: true }) }),
    description: 'The sequence diagram of a whole query (a session through a display filter) as a standalone SVG document, '
      + 'computed in the core over its first `maxFrames` frames (at most MAX_EXPORT_FRAMES, the default), so the page never '
      + 'loads the session\'s rows to export it. `capped` says the diagram stops before the query\'s end.',
  },
  'filter.check': { args: obj({ filter: filter() }), description: 'Whether a display filter parses, and where it is wrong.' },
  'proxy.start': { args: proxyOptions, description: 'Starts a recording proxy in the core, as `stompscope proxy`.' },
  'proxy.stop': { args: obj({ session: id() }), description: 'Stops a proxy this core runs and completes its session.' },
  'proxy.list': { args: obj({}), description: 'The proxies this core runs.' },
  'proxy.rules': { args: obj({ session: id() }), description: 'The rules of a proxy this core runs, as written, with their warnings.' },
  'proxy.setRules': {
    args: obj({ session: id(), rules: ruleList, holdTimeoutMs: int({ min: 1000, max: 3_600_000, optional: true }) }),
    description: 'Replaces the rules of a proxy this core runs while traffic flows (checked as `stompscope proxy --rules` checks a '
      + 'file: a bad rule is refused with one line naming it and its field). They act on connections opened from then on '
      + 'and on open connections that were opened with rules.',
  },
  'intercept.list': { args: obj({}), description: 'The frames `break` rules hold now, oldest first.' },
  'intercept.decide': {
    args: obj({ id: id(), do: oneOf(['forward', 'drop', 'edit'] as const), frame: optionalEditedFrame }),
    description: 'Forwards, drops, or forwards edited (`frame`, escaped for the connection\'s version) a held frame. `decided` '
      + 'is false when it was decided already (by its timeout, or its connection closed).',
  },
  'import.start': {
    args: obj({ upload: str({ max: 100 }), name: name(), keylog: str({ max: 100, optional: true }) }),
    description: 'Imports a capture file the host received (an upload to the web host, a file chosen in the desktop app\'s '
      + 'dialog), named by the id the host gave it: the UI never names files on the machine. `keylog`: the upload id of an '
      + 'NSS key log (SSLKEYLOGFILE) to decrypt its TLS connections with. Answers at once; `import.progress` and '
      + '`import.done` follow.',
  },
  'capture.interfaces': {
    args: obj({}),
    description: 'The network interfaces the capture engine (dumpcap, else tcpdump) can capture on, or why it cannot list them.',
  },
  'capture.start': {
    args: obj({
      interface: refine(str({ max: 100 }), (v) => (/^[\w.:@-]+$/.test(v) ? null : "'interface' must be an interface name")),
      ports: arrayOf(int({ min: 1, max: 65535 }), { max: 64, says: 'a list of at most 64 port numbers', optional: true }),
      filter: str({ max: 1000, optional: true }),
      name: name(),
    }),
    description: 'Starts a live capture on an interface in the core, as `stompscope capture`: a session of kind \'capture\' '
      + 'recording STOMP off the wire. Refused in one message when the engine is missing, capture is not permitted, the '
      + 'interface does not exist or the filter is invalid.',
  },
  'capture.stop': { args: obj({ session: id() }), description: 'Stops a capture this core runs and completes its session.' },
  'capture.list': { args: obj({}), description: 'The live captures this core runs.' },
  'session.export': {
    args: obj({
      session: id(),
      filter: filter(),
      revealSecrets: bool(),
      /** `pcapng`: the whole session as a capture (TCP/IP headers synthesized); it takes no filter (give ''). */
      /** `stats.csv`, `stats.svg`: the statistics view's tables and charts of the whole session (no filter: give ''). */
      format: oneOf(['jsonl', 'pcapng', 'stats.csv', 'stats.svg'], { says: 'jsonl, pcapng, stats.csv or stats.svg', optional: true }),
    }),
    description: 'Prepares an export of a session\'s frames (through a display filter) in the `frames --jsonl` shape, the '
      + 'whole session as pcapng, or its statistics as CSV tables or an SVG of the charts. The answer is a single-use ticket the host turns into a file: a download from the web '
      + 'host, a save dialog in the desktop app.',
  },
  'export.code': {
    args: exportCodeArgs,
    description: '"Copy as code": a stomp.py script or a @stomp/stompjs module that reproduces one client frame (after its '
      + 'connection\'s CONNECT) or a whole client connection, as `stompscope export --format stomp.py|stompjs`. Give `frame` '
      + 'or `connection`. Credentials become constants to fill in unless `revealSecrets`.',
  },
  'replay.start': {
    args: replayStart,
    description: 'Replays the client side of a recorded connection against `target`, recorded as a new session of kind '
      + '\'replay\' (as `stompscope replay`). Mistakes that need no network (unknown connection, masked passcode without one, '
      + 'the original broker without confirmation) are refused at once; otherwise it answers with a job id, and '
      + '`replay.progress` and `replay.done` follow.',
  },
  'replay.diff': {
    args: obj({ a: id(), b: id(), includeVolatile: bool(), revealSecrets: bool() }),
    description: 'What the broker sent on two connections, compared by correlation (as `stompscope diff`). Credential header '
      + 'values come masked unless `revealSecrets` is set.',
  },
  'frame.resendDraft': { args: obj({ id: id() }), description: 'The editor\'s starting point for "Edit and resend…" of a client frame.' },
  'frame.resend': {
    args: resendArgs,
    description: 'Sends an edited frame on a NEW connection to `target`, after the (edited) CONNECT, waits for the answers, and '
      + 'records the exchange as a session of kind \'replay\' with meta `resendOf`. Answers when the exchange is over.',
  },
  'frame.inject': {
    args: injectArgs,
    description: 'Writes an edited client frame into a live connection of a proxy this core runs, towards the broker, at the '
      + 'next boundary between the client\'s frames; recorded there with frames.injected set. Answers once written.',
  },
  'session.expertInfo': {
    args: obj({ session: id(), connection: optionalId(), entries: int({ max: MAX_EXPERT_ENTRIES, optional: true }) }),
    description: 'The session\'s issues grouped by severity then code (Wireshark\'s Expert Info), with the first entries of each.',
  },
  'frame.links': {
    args: obj({ id: id(), limit: int({ min: 1, max: MAX_PAGE_ROWS, optional: true }) }),
    description: 'The frames correlated with one frame, both ways (at most `limit`, default 200; `total` counts them all).',
  },
  'diagram.links': {
    args: obj({ ids: arrayOf(int({ min: 1 }), { max: MAX_LINK_IDS, says: `a list of at most ${MAX_LINK_IDS} frame ids` }) }),
    description: 'The links that start or end at any of these frames (the rows a diagram shows).',
  },
  'session.stats': {
    args: obj({ session: id(), buckets: int({ min: 1, max: MAX_STATS_BUCKETS, optional: true }), destinations: int({ min: 1, max: 100, optional: true }) }),
    description: 'Per-destination SEND/MESSAGE counts over at most `buckets` (default 60) round time buckets (1, 2 or 5 × 10^n µs), '
      + 'and latency statistics per correlation kind. The whole session, whatever the display filter.',
  },
  'connections.overview': {
    args: obj({ session: id() }),
    description: 'One row per connection of a session (Wireshark\'s Conversations): addresses, transport, version, heart-beats '
      + 'negotiated and seen, opened, closed, duration, close reason, frames and bytes each way, findings by severity.',
  },
  'connection.follow': {
    args: obj({ connection: id(), after: int({ optional: true }), limit: int({ min: 1, max: MAX_FOLLOW_FRAMES, optional: true }), revealSecrets: bool() }),
    description: 'One connection\'s frames both ways in capture order, each as the text of its wire bytes (Follow TCP Stream): '
      + 'at most `limit` (default and most MAX_FOLLOW_FRAMES) frames from sequence number `after` on; credentials masked unless '
      + '`revealSecrets`.',
  },
} satisfies { [C in CommandName]: CommandSpec };

type Contract = typeof CONTRACT;

/** The arguments of a command, as its schema accepts them. */
export type CommandArgs<C extends CommandName> = Infer<Contract[C]['args']>;
export type CommandResult<C extends CommandName> = CommandResults[C];

/** The command names, from the table (so that no list of names can miss one). */
export const COMMAND_NAMES = Object.keys(CONTRACT) as readonly CommandName[];

export function isCommandName(x: unknown): x is CommandName {
  // Own keys only: '__proto__', 'constructor' or 'toString' are not commands.
  return typeof x === 'string' && Object.hasOwn(CONTRACT, x);
}

/**
 * Validates untrusted arguments (from IPC or a WebSocket) before they reach the core: the arguments back, the same
 * object, or ApiError('bad-request') saying what is wrong, prefixed with the command. No arguments at all count as {}.
 */
export function validateArgs<C extends CommandName>(cmd: C, args: unknown): CommandArgs<C> {
  if (!isCommandName(cmd)) throw new ApiError('bad-request', `unknown command ${String(cmd)}`);
  const spec: CommandSpec = CONTRACT[cmd];
  const a = args ?? {};
  const problem = spec.args.problem(a, { cmd, name: '' });
  if (problem) throw new ApiError('bad-request', `${cmd}: ${problem}`);
  return a as CommandArgs<C>;
}
