// How a command fails, and how a failure crosses a transport. Every host answers a command with a reply of plain
// data, `{ok: true, result}` or `{ok: false, error: {code, message, detail}}`, and every client transport turns
// the error back into an ApiError with fromWireError. An Error thrown across Electron IPC would arrive as a plain
// Error with only its message (structured clone keeps no class and no own fields), so no host throws to the UI.
import type { FilterErrorDto } from './dtos.js';

/**
 * `timeout`: a read ran past the core's time limit and was stopped; `cancelled`: a newer frames.query of the same
 * UI replaced it before it ended.
 */
export const API_ERROR_CODES = ['bad-request', 'bad-filter', 'not-found', 'conflict', 'internal', 'timeout', 'cancelled'] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export class ApiError extends Error {
  constructor(readonly code: ApiErrorCode, message: string, readonly detail?: FilterErrorDto) {
    super(message);
  }
}

/** An ApiError as data. `detail`: where a display filter is wrong (bad-filter), for the UI to point at. */
export interface WireError {
  code: ApiErrorCode;
  message: string;
  detail?: FilterErrorDto;
}

export type WireReply<T = unknown> = { ok: true; result: T } | { ok: false; error: WireError };

/** Any failure as data: an ApiError as it is; anything else is `internal`, with its message. */
export function toWireError(e: unknown): WireError {
  if (e instanceof ApiError) return e.detail ? { code: e.code, message: e.message, detail: e.detail } : { code: e.code, message: e.message };
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'internal', message };
}

/** The ApiError a reply's error stands for; whatever does not look like one is `internal`. */
export function fromWireError(w: unknown): ApiError {
  const e = (typeof w === 'object' && w !== null ? w : {}) as Partial<Record<keyof WireError, unknown>>;
  const code = (API_ERROR_CODES as readonly unknown[]).includes(e.code) ? (e.code as ApiErrorCode) : 'internal';
  const message = typeof e.message === 'string' ? e.message : 'error';
  const d = e.detail as Partial<FilterErrorDto> | undefined;
  const detail = d && typeof d === 'object' && typeof d.message === 'string' && typeof d.start === 'number' && typeof d.end === 'number'
    ? { message: d.message, start: d.start, end: d.end }
    : undefined;
  return new ApiError(code, message, detail);
}

/** Runs a host's handler and answers with a reply: the result, or the failure as data. */
export async function replyOf<T>(run: () => T | Promise<T>): Promise<WireReply<T>> {
  try {
    return { ok: true, result: await run() };
  } catch (e) {
    return { ok: false, error: toWireError(e) };
  }
}

/** A reply's result, or its error thrown as an ApiError (what a client transport does with every reply). */
export function resultOf<T>(reply: unknown): T {
  const r = reply as Partial<{ ok: boolean; result: T; error: unknown }> | null;
  if (r && typeof r === 'object' && r.ok === true) return r.result as T;
  throw fromWireError(r && typeof r === 'object' ? r.error : undefined);
}
