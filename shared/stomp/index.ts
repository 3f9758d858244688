// The public STOMP API of shared/: the frame model, the decoder (and its framing-only form, the frame-boundary
// scanner), the encoder, escaping, negotiation and the protocol's facts (spec.ts).

export type {
  DecodeEvent,
  DecodedFrame,
  DecoderLimits,
  Direction,
  HeartBeat,
  RawHeader,
  Severity,
  StompVersion,
  StreamIssue,
  WireIssue,
} from './types.js';
export { StompDecoder, DEFAULT_LIMITS, type DecodeSink } from './decoder.js';
export { encodeFrame, buildFrame, type EncodableFrame, type BuildOptions } from './encoder.js';
export {
  unescapeValue,
  escapeValue,
  interpretHeaders,
  headerValue,
  headerValues,
  isEscapedCommand,
  type Header,
  type InterpretedHeaders,
  type UndefinedEscapeHandler,
} from './escape.js';
export {
  VersionTracker,
  parseHeartBeat,
  negotiateHeartBeat,
  type HeartBeatSpec,
  type VersionedFrame,
} from './version.js';
export {
  CLIENT_COMMANDS,
  SERVER_COMMANDS,
  KNOWN_COMMANDS,
  CONNECT_COMMANDS,
  BODY_COMMANDS,
  isKnownCommand,
  isConnectCommand,
  commandSender,
  mayHaveBody,
  type ClientCommand,
  type ServerCommand,
  type StompCommand,
} from './spec.js';
export { FrameBoundary } from './boundary.js';
