// The one contract between the UI and the core (DESIGN.md principle 4). Every host (Electron IPC, the web
// host's WebSocket, the CLI) carries these commands and events and nothing else. Add commands here first;
// the core implements each once.
import type { Direction, StompVersion } from './stomp/types.js';

export interface SessionSummaryDto {
  session: number;
  kind: string;
  name: string;
  started: string | null;
  ended: string | null;
  state: string;
  connections: number;
  frames: number;
}

export interface ConnectionDto {
  session: number;
  connection: number;
  client: string;
  broker: string;
  transport: string;
  version: StompVersion | null;
  opened: string | null;
  closed: string | null;
  closeReason: string | null;
  frames: Record<Direction, number>;
  heartbeats: Record<Direction, number>;
  bytes: Record<Direction, number>;
  issues: number;
}

export interface FrameRowDto {
  id: number;
  connection: number;
  seq: number;
  from: Direction;
  time: string | null;
  command: string;
  destination: string | null;
  size: number;
  issues: number;
}

export interface Commands {
  'sessions.list': { args: Record<string, never>; result: SessionSummaryDto[] };
  'connections.list': { args: { session: number }; result: ConnectionDto[] };
  /** Keyset paging: frames of a session with id > `after`, in capture order. */
  'frames.page': { args: { session: number; after: number; limit: number }; result: FrameRowDto[] };
}

export type CommandName = keyof Commands;
export type CommandArgs<C extends CommandName> = Commands[C]['args'];
export type CommandResult<C extends CommandName> = Commands[C]['result'];

export const COMMAND_NAMES: readonly CommandName[] = ['sessions.list', 'connections.list', 'frames.page'];

export function isCommandName(x: unknown): x is CommandName {
  return typeof x === 'string' && (COMMAND_NAMES as readonly string[]).includes(x);
}

/** Validates untrusted arguments (from IPC or a WebSocket) before they reach the core. */
export function validateArgs<C extends CommandName>(cmd: C, args: unknown): CommandArgs<C> {
  const a = (args ?? {}) as Record<string, unknown>;
  if (typeof a !== 'object' || Array.isArray(a)) throw new ApiError('bad-request', `${cmd}: arguments must be an object`);
  const int = (name: string, min = 0, max = Number.MAX_SAFE_INTEGER) => {
    const v = a[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new ApiError('bad-request', `${cmd}: '${name}' must be an integer from ${min} to ${max}`);
    }
  };
  switch (cmd) {
    case 'sessions.list':
      break;
    case 'connections.list':
      int('session', 1);
      break;
    case 'frames.page':
      int('session', 1);
      int('after', 0);
      int('limit', 1, 10_000);
      break;
  }
  return a as CommandArgs<C>;
}

export class ApiError extends Error {
  constructor(readonly code: 'bad-request' | 'not-found' | 'internal', message: string) {
    super(message);
  }
}

/** What every transport offers the UI: one function. */
export interface ApiTransport {
  invoke<C extends CommandName>(cmd: C, args: CommandArgs<C>): Promise<CommandResult<C>>;
}

/** The typed client the UI uses; it never knows which transport is under it. */
export class ApiClient {
  constructor(private readonly transport: ApiTransport) {}
  invoke<C extends CommandName>(cmd: C, args: CommandArgs<C>): Promise<CommandResult<C>> {
    return this.transport.invoke(cmd, args);
  }
}
