// Messages between the core and its read workers (pool.ts, read-worker.ts).
import type { ApiErrorCode, FilterErrorDto } from '../../../shared/api/index.js';

export interface ReadWorkerConfig {
  dbPath: string;
  /** The first query / export handle the worker gives out (see HANDLE_SPAN). */
  firstHandle: number;
}

export type ToReadWorker =
  | { t: 'call'; id: number; cmd: string; args: unknown }
  /** A session was deleted: its open queries go. */
  | { t: 'drop'; session: number };

export interface ReadFailure {
  /** True when the handler threw an ApiError (code and detail carried); false for any other error (internal). */
  api: boolean;
  code: ApiErrorCode;
  message: string;
  detail?: FilterErrorDto;
}

export type FromReadWorker =
  | { t: 'ready' }
  | { t: 'fatal'; message: string }
  | { t: 'done'; id: number; ok: true; result: unknown }
  | { t: 'done'; id: number; ok: false; error: ReadFailure };

/**
 * Handles (open queries, export streams) are numbered per worker: worker number `n` gives out n·HANDLE_SPAN + 1,
 * + 2, …, so a handle names the worker that holds it, and a handle of a worker that was stopped is never reused.
 */
export const HANDLE_SPAN = 2 ** 32;

export function workerOfHandle(handle: number): number {
  return Math.floor(handle / HANDLE_SPAN);
}
