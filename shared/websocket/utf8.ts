// Incremental UTF-8 validation (RFC 3629 §4), for the payload of WebSocket text messages (RFC 6455 §8.1: a text
// message's payload, once reassembled from its fragments, must be valid UTF-8). Bytes go in in any pieces (a
// sequence may be split across fragments or reads); the answer is the same as for the whole message at once.
// Pure and O(1) in memory: only the progress of the current sequence is kept.

export class Utf8Validator {
  /** Continuation bytes still expected by the current sequence. */
  private need = 0;
  /** Range allowed for the next continuation byte (narrowed after E0, ED, F0, F4: no overlongs, surrogates or > U+10FFFF). */
  private lo = 0x80;
  private hi = 0xbf;
  /** Bytes seen so far (up to the first invalid one), and where the current sequence started. */
  seen = 0;
  private seqStart = 0;
  /** Offset (from the first byte pushed) of the first byte that makes the input invalid; -1 while valid. */
  invalidAt = -1;

  /** Validates more bytes; answers invalidAt (still -1 when everything so far can start valid UTF-8). */
  push(b: Uint8Array): number {
    if (this.invalidAt >= 0) return this.invalidAt;
    let need = this.need;
    let lo = this.lo;
    let hi = this.hi;
    for (let i = 0; i < b.length; i++) {
      const x = b[i];
      if (need === 0) {
        if (x < 0x80) continue;
        this.seqStart = this.seen + i;
        if (x >= 0xc2 && x <= 0xdf) need = 1;
        else if (x >= 0xe0 && x <= 0xef) {
          need = 2;
          if (x === 0xe0) lo = 0xa0;
          else if (x === 0xed) hi = 0x9f;
        } else if (x >= 0xf0 && x <= 0xf4) {
          need = 3;
          if (x === 0xf0) lo = 0x90;
          else if (x === 0xf4) hi = 0x8f;
        } else return this.fail(this.seen + i);
      } else {
        if (x < lo || x > hi) return this.fail(this.seen + i);
        lo = 0x80;
        hi = 0xbf;
        need--;
      }
    }
    this.need = need;
    this.lo = lo;
    this.hi = hi;
    this.seen += b.length;
    return -1;
  }

  /** The input is complete: a sequence still open is invalid from where it started. Answers invalidAt. */
  end(): number {
    if (this.invalidAt < 0 && this.need > 0) this.invalidAt = this.seqStart;
    return this.invalidAt;
  }

  /** Ready for a new input. */
  reset(): void {
    this.need = 0;
    this.lo = 0x80;
    this.hi = 0xbf;
    this.seen = 0;
    this.seqStart = 0;
    this.invalidAt = -1;
  }

  private fail(at: number): number {
    this.invalidAt = at;
    return at;
  }
}
