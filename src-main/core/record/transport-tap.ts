// Node's side of the transport tap: permessage-deflate with zlib (RFC 7692), which the pure tap
// (shared/conversation/transport.ts) cannot do itself. Every feeder (proxy, capture import, replay) gets both
// through ConnectionRecorder's conversation stage, on any port.

import zlib from 'node:zlib';
import type { Inflater, InflaterFactory } from '../../../shared/websocket/upgrade.js';

export { TransportTap, type TapTarget } from '../../../shared/conversation/transport.js';

/** The deflate tail a sender removes from each message (RFC 7692 §7.2.1); put back before inflating. */
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const WINDOW = 32 * 1024;
/** A decompressed message larger than this is refused (a decompression bomb would otherwise take the memory). */
const MAX_INFLATED = 64 * 1024 * 1024;

/**
 * permessage-deflate with Node's zlib, one message at a time and synchronously: context takeover is the
 * previous messages' last 32 KiB of output given as the preset dictionary, which is exactly the sliding window
 * the compressor kept (RFC 7692 §7.2.3.2 "using the LZ77 sliding window of the previous messages").
 */
export const nodeInflater: InflaterFactory = ({ noContextTakeover }) => {
  let window: Buffer | null = null;
  const inflater: Inflater = {
    inflate(message) {
      try {
        const out = zlib.inflateRawSync(Buffer.concat([message, TAIL]), {
          finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: MAX_INFLATED, ...(window ? { dictionary: window } : {}),
        });
        if (!noContextTakeover && out.length) {
          const joined = window ? Buffer.concat([window, out]) : out;
          window = Buffer.from(joined.subarray(Math.max(0, joined.length - WINDOW)));
        }
        return out;
      } catch (e) {
        return { error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
      }
    },
  };
  return inflater;
};
