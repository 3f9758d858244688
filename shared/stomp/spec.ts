// The facts of the STOMP protocol that code depends on, in one place: the commands and who sends them, which
// frames may carry a body, the bytes that frame the wire format, the header escapes of each version, and the
// decoder's default limits. The decoder, the frame-boundary scanner, the encoder, escaping, capture
// classification, replay and the API all read them from here, so a fact cannot drift between two copies.

import type { DecoderLimits, Direction, StompVersion } from './types.js';

// --- bytes ------------------------------------------------------------------------------------------------------
// STOMP 1.2 §Augmented BNF: NULL = <US-ASCII null (octet 0)>, LF = <US-ASCII line feed (octet 10)>,
// CR = <US-ASCII carriage return (octet 13)>, EOL = [CR] LF; ":" separates a header's name from its value;
// "\" starts an escape (§Value Encoding).

export const NUL = 0x00;
export const LF = 0x0a;
export const CR = 0x0d;
export const COLON = 0x3a;
export const BACKSLASH = 0x5c;

// --- versions ---------------------------------------------------------------------------------------------------

/** The protocol versions there are (STOMP 1.2 §Protocol Negotiation: accept-version, version), oldest first. */
export const STOMP_VERSIONS: readonly StompVersion[] = ['1.0', '1.1', '1.2'];

// --- commands ---------------------------------------------------------------------------------------------------
// STOMP 1.2 §Augmented BNF: client-command and server-command. Commands are case-sensitive: `send` is not SEND.

/** Frames a client sends (STOMP 1.2 §Client Frames; STOMP is the 1.2 spelling of CONNECT, §Connecting). */
export const CLIENT_COMMANDS = [
  'SEND',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'BEGIN',
  'COMMIT',
  'ABORT',
  'ACK',
  'NACK',
  'DISCONNECT',
  'CONNECT',
  'STOMP',
] as const;

/** Frames a server sends (STOMP 1.2 §Server Frames). */
export const SERVER_COMMANDS = ['CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR'] as const;

export type ClientCommand = (typeof CLIENT_COMMANDS)[number];
export type ServerCommand = (typeof SERVER_COMMANDS)[number];
export type StompCommand = ClientCommand | ServerCommand;

export const KNOWN_COMMANDS: readonly StompCommand[] = [...CLIENT_COMMANDS, ...SERVER_COMMANDS];

/** Byte length of the longest known command (UNSUBSCRIBE): a longer token cannot be one. */
export const LONGEST_COMMAND = Math.max(...KNOWN_COMMANDS.map((c) => c.length));

/** The client frames that open a connection (STOMP 1.2 §Connecting): CONNECT and its 1.2 spelling STOMP. */
export const CONNECT_COMMANDS = ['CONNECT', 'STOMP'] as const;

/**
 * Frames whose headers are never escaped (STOMP 1.2 §Value Encoding names CONNECT and CONNECTED, so that 1.0
 * peers can still negotiate). STOMP is the 1.2 spelling of CONNECT and brokers such as RabbitMQ read it the same
 * way, so its headers are not escaped either: a passcode containing a backslash must come out as sent.
 */
export const UNESCAPED_COMMANDS = ['CONNECT', 'CONNECTED', 'STOMP'] as const;

/** STOMP 1.2 §Body: "Only the SEND, MESSAGE, and ERROR frames MAY have a body." */
export const BODY_COMMANDS = ['SEND', 'MESSAGE', 'ERROR'] as const;

const KNOWN = new Set<string>(KNOWN_COMMANDS);
const BODY = new Set<string>(BODY_COMMANDS);
const CONNECT = new Set<string>(CONNECT_COMMANDS);
const SENDER = new Map<string, Direction>([
  ...CLIENT_COMMANDS.map((c) => [c, 'client'] as const),
  ...SERVER_COMMANDS.map((c) => [c, 'broker'] as const),
]);

/** CONNECT or STOMP: the frame that opens a connection (STOMP 1.2 §Connecting). */
export function isConnectCommand(command: string): boolean {
  return CONNECT.has(command);
}

export function isKnownCommand(command: string): command is StompCommand {
  return KNOWN.has(command);
}

/** Which side sends `command` (STOMP 1.2 §Client Frames, §Server Frames), or null for an unknown command. */
export function commandSender(command: string): Direction | null {
  return SENDER.get(command) ?? null;
}

/** STOMP 1.2 §Body: "Only the SEND, MESSAGE, and ERROR frames MAY have a body." */
export function mayHaveBody(command: string): boolean {
  return BODY.has(command);
}

// --- framing ----------------------------------------------------------------------------------------------------

/**
 * Bytes taken in a command at a frame start: a token of letters, digits, '_' and '-'. Every real command is A–Z
 * (STOMP 1.2 §Augmented BNF); the wider token lets an unknown command still be decoded and reported as one.
 */
export const COMMAND_CHAR: Readonly<Uint8Array> = (() => {
  const t = new Uint8Array(256);
  for (let b = 0x41; b <= 0x5a; b++) t[b] = 1;
  for (let b = 0x61; b <= 0x7a; b++) t[b] = 1;
  for (let b = 0x30; b <= 0x39; b++) t[b] = 1;
  t[0x5f] = 1;
  t[0x2d] = 1;
  return t;
})();

/**
 * Longest line still taken for an unknown command. A real command is a short token; anything longer (or with
 * other bytes) at a frame boundary is garbage, which keeps the command buffer tiny.
 */
export const MAX_COMMAND_BYTES = 64;

/** STOMP 1.2 §Header content-length: the octet count of the body; the frame's NUL follows those octets. */
export const CONTENT_LENGTH = 'content-length';

/** Most digits taken in a content-length: 15 decimal digits stay below Number.MAX_SAFE_INTEGER. */
export const MAX_CONTENT_LENGTH_DIGITS = 15;

// --- header escapes ---------------------------------------------------------------------------------------------
// STOMP 1.0 has no escaping. STOMP 1.1 §Value Encoding defines \n (LF), \c (colon) and \\ (backslash);
// STOMP 1.2 §Value Encoding adds \r (CR). Any other backslash sequence is undefined.

/** Per version: each character that is escaped, and the letter that follows the backslash for it. */
export const HEADER_ESCAPES: Readonly<Record<Exclude<StompVersion, '1.0'>, ReadonlyArray<readonly [char: string, letter: string]>>> = {
  '1.1': [['\\', '\\'], ['\n', 'n'], [':', 'c']],
  '1.2': [['\\', '\\'], ['\n', 'n'], [':', 'c'], ['\r', 'r']],
};

// --- limits -----------------------------------------------------------------------------------------------------

/** What one decoder holds at most for one frame, whatever the peer sends (see DecoderLimits). */
export const DEFAULT_LIMITS: Readonly<DecoderLimits> = Object.freeze({
  maxLineBytes: 64 * 1024,
  maxHeaders: 1000,
  maxBodyBytes: 64 * 1024 * 1024,
});
