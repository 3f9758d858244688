// Helpers for the analysis tests: a conversation (bytes per direction, with times) through the real decoder and
// the ConnectionAnalyzer, as the recorder feeds them; links and findings out.
import { ConnectionAnalyzer, type AnalyzerOptions } from '../../shared/analysis/connection.js';
import { bodyFingerprint } from '../../shared/analysis/fingerprint.js';
import type { Finding, Link } from '../../shared/analysis/types.js';
import { StompDecoder } from '../../shared/stomp/decoder.js';
import type { Direction } from '../../shared/stomp/types.js';

/** 2026-01-01T00:00:00Z in µs: times in tests are offsets from it, in ms. */
export const T0 = Date.UTC(2026, 0, 1) * 1000;

/** One step: who sends what, at which ms after T0 (default: 1 ms after the previous step). */
export type Step = [Direction, string, number?];

export interface Analysis {
  links: Link[];
  findings: Finding[];
  codes: string[];
  profiles: string[];
  /** Frames by id (ids from 1 in wire order): command and direction. */
  frames: Map<number, { command: string; dir: Direction; time: number }>;
  /** The id of the n-th frame (from 0) with this command. */
  id(command: string, n?: number): number;
  analyzer: ConnectionAnalyzer;
}

export interface Conversation {
  analyzer: ConnectionAnalyzer;
  feed(steps: Step[]): void;
  close(atMs?: number): Analysis;
}

let nextId = 0;

/** A conversation on one connection; several can share a DeliveryCorrelator (opts.delivery). */
export function conversation(opts: AnalyzerOptions = {}, idBase?: number): Conversation {
  const links: Link[] = [];
  const findings: Finding[] = [];
  const profiles: string[] = [];
  const frames = new Map<number, { command: string; dir: Direction; time: number }>();
  const analyzer = new ConnectionAnalyzer({ link: (l) => links.push(l), finding: (f) => findings.push(f), profile: (p) => profiles.push(p) }, opts);
  const decoders = { client: new StompDecoder(), broker: new StompDecoder() };
  if (idBase !== undefined) nextId = idBase;
  let ms = 0;
  const te = new TextEncoder();
  return {
    analyzer,
    feed(steps) {
      for (const [dir, text, at] of steps) {
        ms = at ?? ms + 1;
        const time = T0 + ms * 1000;
        decoders[dir].push(te.encode(text), time, (e) => {
          if (e.kind === 'frame') {
            const id = ++nextId;
            frames.set(id, { command: e.command, dir, time: e.time });
            analyzer.frame({
              id, dir, time: e.time, command: e.command, headers: e.headers, bodyLength: e.bodyLength,
              bodyHash: e.body ? bodyFingerprint(e.body) : null, offset: e.offset, length: e.length,
            });
          } else if (e.kind === 'heartbeat') analyzer.heartbeat(dir, e.time, e.offset);
        });
      }
    },
    close(atMs) {
      analyzer.close(T0 + (atMs ?? ms + 1) * 1000);
      return {
        links, findings, codes: findings.map((f) => f.code), profiles, frames, analyzer,
        id(command, n = 0) {
          const ids = [...frames].filter(([, f]) => f.command === command).map(([i]) => i);
          if (ids[n] === undefined) throw new Error(`no ${command} #${n}`);
          return ids[n];
        },
      };
    },
  };
}

/** Runs a whole conversation and closes it. */
export function analyze(steps: Step[], opts: AnalyzerOptions & { closeAtMs?: number } = {}): Analysis {
  const c = conversation(opts);
  c.feed(steps);
  return c.close(opts.closeAtMs);
}

/** CONNECT / CONNECTED of a version, with optional extra header lines. */
export function handshake(version: '1.0' | '1.1' | '1.2', extra: { connect?: string; connected?: string } = {}): Step[] {
  const accept = version === '1.0' ? '' : `accept-version:${version}\nhost:/\n`;
  const v = version === '1.0' ? '' : `version:${version}\n`;
  return [
    ['client', `CONNECT\n${accept}${extra.connect ?? ''}\n\0`],
    ['broker', `CONNECTED\n${v}${extra.connected ?? ''}\n\0`],
  ];
}
