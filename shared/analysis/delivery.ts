// SEND -> MESSAGE correlation across the connections of one session (a producer and a consumer both going
// through the same proxy, or both in one capture). A MESSAGE is matched with the oldest SEND of the same
// destination, body length and body fingerprint that this consumer (connection + subscription) has not been
// matched with yet: a queue delivers each SEND once, a topic once per subscriber, and identical bodies sent
// twice pair in order. Memory is bounded: past `maxPending` SENDs the oldest are forgotten.

import type { Link } from './types.js';

interface Pending {
  destination: string;
  key: number;
  /** Absolute index of ids[head]. */
  base: number;
  head: number;
  /** The SENDs' frame ids and times, side by side (no object per SEND on the recording path). */
  ids: number[];
  times: number[];
  /** Per consumer: absolute index of the next SEND it may be matched with. */
  cursors: Map<string, number>;
}

/** Body length and fingerprint in one exact number key (lengths below 2^21 bytes; longer ones share keys). */
function bodyKey(bodyLength: number, hash: number | null | undefined): number {
  return (bodyLength % 0x200000) * 0x100000000 + (hash ?? 0);
}

export class DeliveryCorrelator {
  /** destination -> body key -> SENDs in arrival order. Numbers as keys: no string built per frame. */
  private readonly byDestination = new Map<string, Map<number, Pending>>();
  /** The Pending of each SEND in arrival order, for evicting the oldest (a queue with a moving head). */
  private order: Pending[] = [];
  private orderHead = 0;
  private pending = 0;

  constructor(private readonly maxPending = 20_000) {}

  send(frameId: number, time: number, destination: string, bodyLength: number, hash: number | null | undefined): void {
    const key = bodyKey(bodyLength, hash);
    let byKey = this.byDestination.get(destination);
    if (!byKey) this.byDestination.set(destination, (byKey = new Map()));
    let p = byKey.get(key);
    if (!p) byKey.set(key, (p = { destination, key, base: 0, head: 0, ids: [], times: [], cursors: new Map() }));
    p.ids.push(frameId);
    p.times.push(time);
    this.order.push(p);
    if (++this.pending > this.maxPending) this.evictOldest();
  }

  /** The delivery link for a MESSAGE received by `consumer`, or null when no SEND of this session matches. */
  message(frameId: number, time: number, consumer: string, destination: string, bodyLength: number, hash: number | null | undefined): Link | null {
    const p = this.byDestination.get(destination)?.get(bodyKey(bodyLength, hash));
    if (!p) return null;
    const start = p.base + p.head;
    const at = Math.max(p.cursors.get(consumer) ?? start, start);
    const i = at - p.base;
    if (i >= p.ids.length) return null;
    p.cursors.set(consumer, at + 1);
    return { kind: 'delivery', fromFrameId: p.ids[i], toFrameId: frameId, latencyUs: time - p.times[i] };
  }

  private evictOldest(): void {
    const p = this.order[this.orderHead++];
    if (this.orderHead > 4096 && this.orderHead * 2 > this.order.length) {
      this.order = this.order.slice(this.orderHead);
      this.orderHead = 0;
    }
    this.pending--;
    p.head++;
    if (p.head >= p.ids.length) {
      const byKey = this.byDestination.get(p.destination)!;
      byKey.delete(p.key);
      if (byKey.size === 0) this.byDestination.delete(p.destination);
    } else if (p.head > 1024 && p.head * 2 > p.ids.length) {
      p.ids = p.ids.slice(p.head);
      p.times = p.times.slice(p.head);
      p.base += p.head;
      p.head = 0;
    }
  }
}
