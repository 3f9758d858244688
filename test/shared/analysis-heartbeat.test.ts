// Expert info, heart-beats: the negotiated period each way, silences longer than period + grace (with the
// time the peer would have dropped the connection), heart-beats faster than negotiated.
import { describe, expect, it } from 'vitest';
import { isoTime } from '../../shared/analysis/connection.js';
import { analyze, conversation, T0, type Step } from './analysis-helpers.js';

const hs = (c: string, s: string): Step[] => [
  ['client', `CONNECT\naccept-version:1.2\nhost:/\nheart-beat:${c}\n\n\0`, 0],
  ['broker', `CONNECTED\nversion:1.2\nheart-beat:${s}\n\n\0`, 1],
];
/** Heart-beats from `dir` every `every` ms from `from` to `to` (inclusive). */
const beats = (dir: 'client' | 'broker', from: number, to: number, every: number): Step[] => {
  const out: Step[] = [];
  for (let t = from; t <= to; t += every) out.push([dir, '\n', t]);
  return out;
};
const sorted = (steps: Step[]) => steps.sort((a, b) => a[2]! - b[2]!);

describe('heartbeat-negotiated', () => {
  it('notes the effective period each way (max of the two sides, 0 = none)', () => {
    const a = analyze(hs('1000,0', '500,2000'), { closeAtMs: 2 });
    expect(a.findings).toEqual([expect.objectContaining({
      code: 'heartbeat-negotiated', severity: 'note', frameId: null, time: T0 + 1000,
      message: 'heart-beats client → broker every 2000 ms, broker → client none',
    })]);
  });
  it('nothing when neither side wants heart-beats', () => {
    expect(analyze(hs('0,0', '1000,1000'), { closeAtMs: 60_000 }).codes).toEqual([]);
    expect(analyze(hs('1000,1000', '0,0'), { closeAtMs: 60_000 }).codes).toEqual([]);
  });
});

describe('heartbeat-missed', () => {
  it('a client silent for longer than period + 50%, then heard again: when the broker would have dropped it', () => {
    // client must send every 1000 ms; it is silent from 1 ms to 3001 ms.
    const steps = sorted([...hs('1000,0', '0,1000'), ['client', '\n', 3001], ...beats('client', 4000, 6000, 1000)]);
    const a = analyze(steps, { closeAtMs: 6100 });
    const missed = a.findings.filter((f) => f.code === 'heartbeat-missed');
    expect(missed).toHaveLength(1);
    expect(missed[0]).toMatchObject({ dir: 'client', frameId: null, time: T0 + 1000 + 1_500_000 });
    expect(missed[0].message).toContain('3.00 s');
    expect(missed[0].message).toContain(`would have dropped the connection at ${isoTime(T0 + 1_501_000)}`);
  });
  it('the broker silent up to the close (the connection was dropped): reported at close', () => {
    const steps = sorted([...hs('0,1000', '1000,0'), ...beats('broker', 1000, 3000, 1000)]);
    const a = analyze(steps, { closeAtMs: 8000 });
    const missed = a.findings.filter((f) => f.code === 'heartbeat-missed');
    expect(missed).toEqual([expect.objectContaining({ dir: 'broker', time: T0 + 3_000_000 + 1_500_000 })]);
    expect(missed[0].message).toContain('before the connection closed');
  });
  it('not when data keeps coming within period + grace, frames count as data too', () => {
    const steps = sorted([...hs('1000,1000', '1000,1000'), ...beats('client', 1300, 9000, 1300),
      ...beats('broker', 900, 9000, 1000).map(([d, , t]): Step => [d, 'MESSAGE\nsubscription:s\nmessage-id:1\ndestination:/q\n\nx\0', t])]);
    const a = analyze(steps, { closeAtMs: 9100 });
    expect(a.codes).toEqual(['heartbeat-negotiated']);
  });
  it('not after DISCONNECT or an ERROR (the connection is ending)', () => {
    const d = analyze([...hs('1000,1000', '1000,1000'), ['client', 'DISCONNECT\n\n\0', 2]], { closeAtMs: 60_000 });
    expect(d.codes).toEqual(['heartbeat-negotiated']);
    const e = analyze([...hs('1000,1000', '1000,1000'), ['broker', 'ERROR\nmessage:x\n\n\0', 2]], { closeAtMs: 60_000 });
    expect(e.codes).toEqual(['heartbeat-negotiated', 'error-frame']);
  });
});

describe('heartbeat-missed, live (tick)', () => {
  const at = (ms: number) => T0 + ms * 1000;
  it('reported by the clock while the silence lasts, once, and not again when the peer speaks or the connection closes', () => {
    // The client must send every 1000 ms (limit 1500 ms); it is silent after CONNECTED (1 ms).
    const c = conversation();
    c.feed(hs('1000,0', '0,1000'));
    c.analyzer.tick(at(1000));
    c.analyzer.tick(at(1500));
    expect(c.analyzer.silenceDue(at(1501))).toBe(false); // exactly at the limit: not yet
    expect(c.analyzer.silenceDue(at(1502))).toBe(true);
    c.analyzer.tick(at(2000));
    expect(c.analyzer.silenceDue(at(2000))).toBe(false);
    c.analyzer.tick(at(3000));
    c.feed([['client', '\n', 3500]]);
    const a = c.close(3600);
    const missed = a.findings.filter((f) => f.code === 'heartbeat-missed');
    expect(missed).toHaveLength(1);
    expect(missed[0]).toMatchObject({ dir: 'client', frameId: null, time: at(1501) });
    expect(missed[0].message).toContain('for 2.00 s so far');
    expect(missed[0].message).toContain(`would have dropped the connection at ${isoTime(at(1501))}`);
  });
  it('a new silence after the peer spoke again is reported again; one reported and lasting to the close is not', () => {
    const c = conversation();
    c.feed(hs('1000,0', '0,1000'));
    c.analyzer.tick(at(2000)); // silence 1: reported live
    c.feed([['client', 'SEND\ndestination:/q\n\nx\0', 2500]]);
    c.analyzer.tick(at(3000)); // 500 ms after the SEND: nothing
    c.analyzer.tick(at(4100)); // silence 2: reported live
    const a = c.close(9000); // silence 2 lasts to the close: not reported a second time
    const missed = a.findings.filter((f) => f.code === 'heartbeat-missed');
    expect(missed.map((f) => f.time)).toEqual([at(1501), at(4000)]);
    expect(missed.every((f) => f.message.includes('so far'))).toBe(true);
  });
  it('nothing without negotiated heart-beats, after DISCONNECT, or after close', () => {
    const none = conversation();
    none.feed(hs('0,0', '0,0'));
    expect(none.analyzer.silenceDue(at(60_000))).toBe(false);
    const bye = conversation();
    bye.feed([...hs('1000,1000', '1000,1000'), ['client', 'DISCONNECT\n\n\0', 2]]);
    expect(bye.analyzer.silenceDue(at(60_000))).toBe(false);
    const closed = conversation();
    closed.feed(hs('1000,1000', '1000,1000'));
    const a = closed.close(3); // closed before any silence
    closed.analyzer.tick(at(60_000));
    expect(a.findings.map((f) => f.code)).toEqual(['heartbeat-negotiated']); // the live array: nothing added by the tick
  });
});

describe('heartbeat-too-frequent', () => {
  it('heart-beats less than half the period apart', () => {
    const steps = sorted([...hs('1000,0', '0,1000'), ...beats('client', 100, 1000, 100)]);
    const a = analyze(steps, { closeAtMs: 1050 });
    const fast = a.findings.filter((f) => f.code === 'heartbeat-too-frequent');
    // The EOL at 100 ms directly follows CONNECT's NUL, so it only ends that frame; 200 ms is the first beat,
    // and each of the 8 after it came 100 ms after the previous one.
    expect(fast).toEqual([expect.objectContaining({ dir: 'client', time: T0 + 300_000 })]);
    expect(fast[0].message).toContain('8 heart-beats');
  });
  it('not for the EOL that merely ends each frame (ActiveMQ writes NUL + LF), nor at the negotiated pace', () => {
    const frames: Step[] = [];
    for (let t = 10; t < 900; t += 10) frames.push(['broker', 'MESSAGE\nsubscription:s\nmessage-id:1\ndestination:/q\n\nx\0\n', t]);
    const a = analyze([...hs('0,1000', '1000,0'), ...frames, ...beats('broker', 1000, 5000, 1000)], { closeAtMs: 5100 });
    expect(a.codes).toEqual(['heartbeat-negotiated']);
  });
});
