// Protocol version and heart-beat negotiation for one connection (STOMP 1.2 §Protocol Negotiation,
// §Heart-beating). CONNECT/STOMP and CONNECTED headers are never escaped, so their raw values are read as is.

import { makeIssue } from '../issues.js';
import { headerValue } from './escape.js';
import { isConnectCommand, STOMP_VERSIONS } from './spec.js';
import type { Direction, RawHeader, StompVersion, WireIssue } from './types.js';

function isVersion(v: string): v is StompVersion {
  return (STOMP_VERSIONS as readonly string[]).includes(v);
}

/** [outgoing, incoming] milliseconds, as in `heart-beat: cx,cy`. */
export type HeartBeatSpec = [outgoing: number, incoming: number];

/**
 * Parses a `heart-beat` header value. A missing header means 0,0 (STOMP 1.2 §Heart-beating); a malformed one
 * gives null. Blanks around the numbers are tolerated because some clients send them.
 */
export function parseHeartBeat(value: string | null | undefined): HeartBeatSpec | null {
  if (value === undefined || value === null) return [0, 0];
  const m = /^\s*(\d{1,15})\s*,\s*(\d{1,15})\s*$/.exec(value);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/**
 * Effective heart-beat periods in ms (0 = none): the client sends every max(cx, sy) when both are non-zero,
 * the broker every max(sx, cy) when both are non-zero (STOMP 1.2 §Heart-beating).
 */
export function negotiateHeartBeat(
  client: HeartBeatSpec,
  broker: HeartBeatSpec,
): { clientToBroker: number; brokerToClient: number } {
  const [cx, cy] = client;
  const [sx, sy] = broker;
  return {
    clientToBroker: cx === 0 || sy === 0 ? 0 : Math.max(cx, sy),
    brokerToClient: sx === 0 || cy === 0 ? 0 : Math.max(sx, cy),
  };
}

/** What the tracker needs of a frame: a DecodedFrame fits. */
export interface VersionedFrame {
  command: string;
  headers: readonly RawHeader[];
  offset?: number;
}

/**
 * Follows one connection's negotiation. Before CONNECTED, `version` is null; CONNECTED's `version` header sets
 * it ('1.0' when absent, as 1.0 brokers send none).
 */
export class VersionTracker {
  private _version: StompVersion | null = null;
  /** The versions the client offered in accept-version (absent: 1.0 only), or null before CONNECT/STOMP. */
  offered: StompVersion[] | null = null;
  /** The client's and the broker's heart-beat headers, once seen (null if malformed or not yet seen). */
  clientHeartBeat: HeartBeatSpec | null = null;
  brokerHeartBeat: HeartBeatSpec | null = null;

  get version(): StompVersion | null {
    return this._version;
  }

  /** Looks at every frame of the connection, in order; returns the issues negotiation found in this one. */
  observe(from: Direction, frame: VersionedFrame): WireIssue[] {
    const issues: WireIssue[] = [];
    const offset = frame.offset ?? 0;
    if (from === 'client' && isConnectCommand(frame.command)) {
      const accept = headerValue(frame.headers, 'accept-version');
      this.offered = accept === undefined ? ['1.0'] : accept.split(',').map((v) => v.trim()).filter(isVersion);
      this.clientHeartBeat = this.heartBeat(frame, offset, issues);
    } else if (from === 'broker' && frame.command === 'CONNECTED') {
      const v = headerValue(frame.headers, 'version') ?? '1.0';
      if (isVersion(v)) {
        this._version = v;
      } else {
        this._version = '1.2';
        issues.push(makeIssue('unknown-version', `CONNECTED version ${JSON.stringify(v)} is not 1.0, 1.1 or 1.2`, offset));
      }
      if (isVersion(v) && this.offered !== null && !this.offered.includes(v)) {
        issues.push(
          makeIssue('version-not-offered', `broker chose ${v}; client offered ${this.offered.join(',') || 'none'}`, offset),
        );
      }
      this.brokerHeartBeat = this.heartBeat(frame, offset, issues);
    }
    return issues;
  }

  /** Effective heart-beat periods once both sides have spoken, else null. */
  heartBeats(): { clientToBroker: number; brokerToClient: number } | null {
    if (this.clientHeartBeat === null || this.brokerHeartBeat === null) return null;
    return negotiateHeartBeat(this.clientHeartBeat, this.brokerHeartBeat);
  }

  private heartBeat(frame: VersionedFrame, offset: number, issues: WireIssue[]): HeartBeatSpec | null {
    const raw = headerValue(frame.headers, 'heart-beat');
    const hb = parseHeartBeat(raw);
    if (hb === null) issues.push(makeIssue('bad-heart-beat', `heart-beat ${JSON.stringify(raw)} is not "x,y"`, offset));
    return hb;
  }
}
