// The public STOMP API of shared/: the frame model, the decoder, the encoder, escaping and negotiation.

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
  isKnownCommand,
  mayHaveBody,
  type ClientCommand,
  type ServerCommand,
  type StompCommand,
} from './commands.js';
