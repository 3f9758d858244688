// The events the core pushes to the UI (frames recorded, imports and replays progressing, menu actions). Hosts
// forward them as they are; the client hands each to its subscribers.
import type { ReplayFindingDto } from './dtos.js';

export interface Events {
  /** New frames were recorded into a session (its largest frame id and its frame count now). */
  'frames.appended': { session: number; lastId: number; frames: number };
  /**
   * New issues (wire issues, connection events, analysis findings) were recorded into a session being recorded,
   * its largest issue id now: some come without a new frame (a peer silent past its heart-beat, found by the clock).
   */
  'issues.appended': { session: number; lastId: number };
  /** Sessions were added, renamed, deleted, or changed state. */
  'sessions.changed': Record<string, never>;
  'import.progress': { job: number; name: string; done: number; total: number };
  'import.done': { job: number; name: string; session: number | null; frames: number; complete: boolean; error: string | null };
  /** Client frames of the original connection handled so far (sent or skipped), of `total`. */
  'replay.progress': { job: number; original: number; session: number | null; sent: number; total: number };
  /**
   * A replay ended: its session and connection (null when it could not start: `error` says why), frames sent and
   * received, and findings (timeouts, broker ERRORs, ACKs that could not be re-pointed).
   */
  'replay.done': {
    job: number; original: number; session: number | null; connection: number | null; sent: number; received: number;
    findings: ReplayFindingDto[]; error: string | null;
  };
  /** Frames held by `break` rules changed (one was held, decided, timed out or lost with its connection): `held` now. */
  'intercept.changed': { held: number };
  /** A host-level request to the UI (a native menu item, a dropped file). */
  'ui.action': { action: 'start-proxy' | 'export' | 'open-capture' };
}
export type EventName = keyof Events;
export type EventListener = <E extends EventName>(event: E, data: Events[E]) => void;

/** Every event name: a key of this object is an event, so a new event without an entry fails to compile. */
const EVENTS: { [E in EventName]: true } = {
  'frames.appended': true, 'issues.appended': true, 'sessions.changed': true, 'import.progress': true, 'import.done': true,
  'replay.progress': true, 'replay.done': true, 'intercept.changed': true, 'ui.action': true,
};

export const EVENT_NAMES = Object.keys(EVENTS) as readonly EventName[];

export function isEventName(x: unknown): x is EventName {
  return typeof x === 'string' && Object.hasOwn(EVENTS, x);
}
