// The public API of the conversation stage: one connection's bytes in, frames, heart-beats, issues, links,
// findings and the negotiated state out.

export { Conversation } from './conversation.js';
export { TransportTap, type TapTarget } from './transport.js';
export type {
  ConnectionEvent, ConversationFrame, ConversationIssue, ConversationOptions, ConversationSink, Negotiated,
} from './types.js';
