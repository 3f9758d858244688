// Messages between the forwarding thread and the recording worker. One ordered channel: control messages are
// posted only after the pending data batch, so the worker sees everything in the order it happened.
import type { ConnectionEvent } from './connection-recorder.js';
import type { DecoderLimits } from '../../../shared/stomp/types.js';
import type { SessionKind, SessionState } from '../store/writer.js';

export interface WorkerConfig {
  dbPath: string;
  kind: SessionKind;
  name: string;
  meta: object;
  started: number;
  live: boolean;
  limits?: Partial<DecoderLimits>;
}

/**
 * Size of a batch buffer: a batch is handed over once it holds 1 MiB, and a socket read is at most 64 KiB, so
 * little of each buffer goes unused (all of it counts against the recorder's budget while the worker has it).
 * The worker gives buffers of this size back once recorded, to be filled again.
 */
export const BATCH_BUFFER_BYTES = (1 << 20) + 64 * 1024;

/**
 * Fields of one segment in a data batch's descriptor (a Float64Array of SEG_FIELDS numbers per segment). A shed
 * segment has no bytes in the batch: its `start` is where the first NUL was in the read, or -1 (StompDecoder.shed).
 */
export const SEG_FIELDS = 7;
/** `chunk`: -1 when the bytes are in the batch buffer at `start`; else the index of the batch's own `chunks` that holds them whole. */
export const SEG = { key: 0, dir: 1, start: 2, length: 3, time: 4, gap: 5, chunk: 6 } as const;
/**
 * A read at least this long is not copied into the batch: its own memory is handed to the worker (transferred), when
 * the forwarding thread is done with it (recorder.data's `owned`). Below it, copying is cheaper than a transfer.
 */
export const TRANSFER_MIN_BYTES = 16 * 1024;
/**
 * Values of a segment's `gap` field: bytes recorded, bytes forwarded but shed (a gap), or bytes StompScope injected
 * into the stream itself (edit and resend into a live connection: a whole frame, recorded where the peer got it and flagged frames.injected).
 */
export const SEG_DATA = 0;
export const SEG_SHED = 1;
export const SEG_INJECTED = 2;
/**
 * What a proxy rule did to the frame of the connection's next data segment: the segment's bytes are its FrameMark
 * as JSON (without `original`), not stream bytes. Only proxies with rules write these.
 */
export const SEG_MARK = 3;
/** The bytes the peer sent of the frame the next data segment holds rewritten (FrameMark.original): not stream bytes. */
export const SEG_ORIGINAL = 4;

export type ToWorker =
  | { t: 'open'; key: number; client: string; broker: string; transport: string; time: number }
  /** `bytes`: the bytes recorded in `buf`; `chunks`: reads handed over whole (SEG.chunk), `chunkBytes` their total. */
  | { t: 'data'; buf: ArrayBuffer; segs: Float64Array; bytes: number; chunks: ArrayBuffer[]; chunkBytes: number }
  | { t: 'event'; key: number; time: number; event: ConnectionEvent }
  | { t: 'close'; key: number; time: number; reason: string | null }
  | { t: 'end'; time: number; state: SessionState }
  /** The clock of the forwarding thread, after every byte read before it: findings due by time alone. */
  | { t: 'tick'; time: number };

export interface SessionSummary {
  session: number;
  connections: number;
  frames: number;
  heartbeats: number;
  issues: number;
  bytes: number;
}

export type FromWorker =
  | { t: 'ready'; session: number }
  /**
   * `bytes`: the memory of the batch handled (its buffer's size and its chunks'), `held`: what the worker's connections hold for
   * frames in progress (decoders' bodies), both counted against the recorder's memory budget.
   */
  | { t: 'ack'; bytes: number; held: number; lines: string | null; buf?: ArrayBuffer }
  | { t: 'warning'; message: string }
  | { t: 'ended'; summary: SessionSummary }
  | { t: 'fatal'; message: string };
