// What the importer's thread and the import's reading thread (import-worker.ts) say to each other.

import type { CaptureFormat } from './format.js';
import type { ScanSummary } from './file-scan.js';
import type { ConnectionTls, FlowConnection } from './flows.js';
import type { FlowsEnded, FlowsRead } from './packet-flows.js';
import type { ReassemblyLimits } from './reassembly.js';
import type { Direction } from '../../../shared/stomp/types.js';

/** Batches posted and not yet stored: what the reading thread may be ahead by (each about one read of the file). */
export const MAX_AHEAD = 3;

/** Numbers per flow event in a batch's `ops`: kind, flow, direction (0 client, 1 broker), time, a, b. */
export const OP_FIELDS = 6;
/**
 * `data`: a and b are the offset and length of its bytes in `bytes` (copied there); `read`: the same in `read`, the
 * buffer the file was read into (most data: a packet's payload, in order, is a view of it, sent without a copy);
 * `rare`: a is its index in `rare`.
 */
export const OP = { data: 0, rare: 1, read: 2 } as const;

export type RareOp =
  | { k: 'open'; info: FlowConnection }
  | { k: 'gap'; dir: Direction; n: number; time: number; code: string; message: string }
  | { k: 'event'; dir: Direction | null; time: number; code: string; severity: 'error' | 'warning' | 'note'; message: string }
  | { k: 'tls'; info: ConnectionTls }
  | { k: 'close'; time: number; reason: string };

export interface ImportWorkerConfig {
  file: string;
  size: number;
  /** The file's modification time (µs): the session's times when it holds no packet. */
  mtime: number;
  format: CaptureFormat;
  readBytes?: number;
  ports?: readonly number[];
  reassembly?: Partial<ReassemblyLimits>;
  maxQuietFlows?: number;
  /** A complete key log's secrets (a live, growing one keeps the import in one thread). */
  keyLog?: { label: string; secrets: Array<[string, Uint8Array]> } | null;
}

export type ToImporter =
  /** One read's flow events; `first` is the first packet's time (-1: none yet). */
  | { type: 'batch'; pos: number; first: number; ops: Float64Array; read: Uint8Array | null; bytes: Uint8Array; rare: RareOp[] }
  | { type: 'done'; summary: ScanSummary; endTime: number; read: FlowsRead; ended: FlowsEnded }
  | { type: 'error'; message: string; stack?: string };

export type ToReader = { type: 'ack' } | { type: 'stop' };
