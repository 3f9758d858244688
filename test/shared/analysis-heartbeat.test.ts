// Expert info, heart-beats: the negotiated period each way, silences longer than period + grace (with the
// time the peer would have dropped the connection), heart-beats faster than negotiated.
import { describe, expect, it } from 'vitest';
import { isoTime } from '../../shared/analysis/connection.js';
import { analyze, T0, type Step } from './analysis-helpers.js';

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
