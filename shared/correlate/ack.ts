// Which MESSAGE an ACK or NACK refers to, by protocol version. Used by replay (to re-point a recorded ACK at
// the replay's own MESSAGE) and by analyses that pair MESSAGE ↔ ACK/NACK.
//
// STOMP 1.2 §ACK: the ACK's `id` header matches the `ack` header of the MESSAGE being acknowledged.
// STOMP 1.1 §ACK: `message-id` and `subscription` (both required) identify it.
// STOMP 1.0 §ACK: `message-id` alone (subscription is not part of the frame).
// Headers here are the interpreted (unescaped) view; first header wins (STOMP 1.2 §Repeated Header Entries).

import { headerValue } from '../stomp/escape.js';
import type { StompVersion } from '../stomp/types.js';

type Headers = readonly (readonly [string, string])[];

/** The names of the ACK/NACK headers that identify the message in `version`. */
export function ackIdentityHeaders(version: StompVersion | null): readonly string[] {
  if (version === '1.2') return ['id'];
  if (version === '1.1') return ['message-id', 'subscription'];
  return ['message-id'];
}

/**
 * The key under which an ACK/NACK of `version` would name this MESSAGE, or null when the MESSAGE lacks the
 * header(s) the version needs (a 1.2 MESSAGE on an `ack:auto` subscription has no `ack` header).
 */
export function messageAckKey(version: StompVersion | null, message: Headers): string | null {
  if (version === '1.2') {
    const ack = headerValue(message, 'ack');
    return ack === undefined ? null : `ack\u0000${ack}`;
  }
  const id = headerValue(message, 'message-id');
  if (id === undefined) return null;
  if (version === '1.1') {
    const sub = headerValue(message, 'subscription');
    return sub === undefined ? null : `mid\u0000${id}\u0000${sub}`;
  }
  return `mid\u0000${id}`;
}

/** The key an ACK/NACK frame's headers name, comparable with messageAckKey of the same version. */
export function ackFrameKey(version: StompVersion | null, ack: Headers): string | null {
  if (version === '1.2') {
    const id = headerValue(ack, 'id');
    return id === undefined ? null : `ack\u0000${id}`;
  }
  const id = headerValue(ack, 'message-id');
  if (id === undefined) return null;
  if (version === '1.1') {
    const sub = headerValue(ack, 'subscription');
    return sub === undefined ? null : `mid\u0000${id}\u0000${sub}`;
  }
  return `mid\u0000${id}`;
}

/**
 * The identification headers an ACK/NACK of `version` must carry to name `message` (received on
 * `subscription`), as [name, value] pairs, or null when the MESSAGE lacks what the version needs.
 */
export function ackIdentityFor(version: StompVersion | null, message: Headers, subscription: string): Array<[string, string]> | null {
  if (version === '1.2') {
    const ack = headerValue(message, 'ack');
    return ack === undefined ? null : [['id', ack]];
  }
  const id = headerValue(message, 'message-id');
  if (id === undefined) return null;
  if (version === '1.1') return [['message-id', id], ['subscription', headerValue(message, 'subscription') ?? subscription]];
  return [['message-id', id]];
}

/**
 * Tracks the MESSAGEs of one connection so that an ACK/NACK can be resolved to "the n-th MESSAGE of
 * subscription S" (n from 1). Feed MESSAGEs in wire order.
 */
export class MessageOrdinals {
  private readonly counts = new Map<string, number>();
  private readonly byKey = new Map<string, { subscription: string; n: number }>();
  private readonly byOrdinal = new Map<string, Headers>();

  constructor(readonly version: StompVersion | null) {}

  /** Records a MESSAGE; returns its subscription and ordinal within it. */
  add(headers: Headers): { subscription: string; n: number } {
    // STOMP 1.0 MESSAGEs may lack `subscription` (it was optional then): they form one unnamed stream.
    const subscription = headerValue(headers, 'subscription') ?? '';
    const n = (this.counts.get(subscription) ?? 0) + 1;
    this.counts.set(subscription, n);
    const at = { subscription, n };
    const key = messageAckKey(this.version, headers);
    // The first MESSAGE wins a key: a redelivery reuses message-id in 1.0/1.1 but the earlier one is what
    // an ACK sent before the redelivery named.
    if (key !== null && !this.byKey.has(key)) this.byKey.set(key, at);
    this.byOrdinal.set(`${subscription}\u0000${n}`, headers);
    return at;
  }

  count(subscription: string): number {
    return this.counts.get(subscription) ?? 0;
  }

  /** The MESSAGE an ACK/NACK names, as subscription + ordinal, or null when it names none seen so far. */
  resolve(ackHeaders: Headers): { subscription: string; n: number } | null {
    const key = ackFrameKey(this.version, ackHeaders);
    return key === null ? null : (this.byKey.get(key) ?? null);
  }

  /** The headers of the n-th MESSAGE of a subscription, if it has arrived. */
  nth(subscription: string, n: number): Headers | undefined {
    return this.byOrdinal.get(`${subscription}\u0000${n}`);
  }
}
