// Expert info, heart-beats: the negotiated period each way, silences graded by how late they are (with what
// the common clients would have done by default), heart-beats faster than negotiated.
import { describe, expect, it } from 'vitest';
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

describe('heartbeat-missed and heartbeat-late: graded by how late', () => {
  it('a client silent for 3 periods, then heard again: a warning at the time it passed 2 periods', () => {
    // client must send every 1000 ms; it is silent from 1 ms to 3001 ms.
    const steps = sorted([...hs('1000,0', '0,1000'), ['client', '\n', 3001], ...beats('client', 4000, 6000, 1000)]);
    const a = analyze(steps, { closeAtMs: 6100 });
    const missed = a.findings.filter((f) => f.code === 'heartbeat-missed' || f.code === 'heartbeat-late');
    expect(missed).toHaveLength(1);
    expect(missed[0]).toMatchObject({ code: 'heartbeat-missed', severity: 'warning', dir: 'client', frameId: null, time: T0 + 1000 + 2_000_000 });
    expect(missed[0].message).toBe('nothing from the client for 3.00 s with a heart-beat every 1000 ms negotiated (3.0× the period): ' +
      'the broker may have considered the connection dead (STOMP 1.2 §Heart-beating)');
  });
  it('ActiveMQ 5.17 with heart-beat:1000,1000: a broker heart-beat 1.93 s after its last frame is a note naming only stomp.py', () => {
    // The broker's MESSAGE at 5000 ms (NUL + LF, as every broker writes it), then its next heart-beat at 6930 ms.
    const steps = sorted([...hs('1000,1000', '1000,1000'), ...beats('client', 1000, 7000, 1000), ...beats('broker', 1000, 4000, 1000),
      ['broker', 'MESSAGE\nsubscription:0\nmessage-id:m1\ndestination:/queue/a\n\nx\0\n', 5000], ['broker', '\n', 6930]]);
    const a = analyze(steps, { closeAtMs: 7100 });
    const late = a.findings.filter((f) => f.code.startsWith('heartbeat-') && f.code !== 'heartbeat-negotiated');
    expect(late).toEqual([expect.objectContaining({ code: 'heartbeat-late', severity: 'note', dir: 'broker', time: T0 + 6_500_000 })]);
    expect(late[0].message).toBe('nothing from the broker for 1.93 s with a heart-beat every 1000 ms negotiated (1.9× the period): ' +
      'by default stomp.py (1.5×) would have dropped the connection; stompjs (2×, checked once per period) and the Ruby stomp gem ' +
      '(no limit unless configured) would not');
  });
  it('a broker silent from CONNECTED for 2.5 periods: stomp.py grants the first heart-beat extra time, stompjs may have dropped it', () => {
    const steps = sorted([...hs('1000,1000', '1000,1000'), ...beats('client', 1000, 4000, 1000), ['broker', '\n', 2501]]);
    const a = analyze(steps, { closeAtMs: 2600 });
    const missed = a.findings.filter((f) => f.code === 'heartbeat-missed');
    expect(missed).toHaveLength(1);
    expect(missed[0].message).toContain('(2.5× the period): by default stompjs (2×, checked once per period) may have dropped it; ' +
      'stomp.py (1.5×, with its grace for the first heart-beat) and the Ruby stomp gem (no limit unless configured) would not');
  });
  it('ActiveMQ classic (detected from server): its keep-alive up to 2× the period after its last write is its schedule, a note; past 2.5× a warning', () => {
    const amq = (c: string, s: string): Step[] => [
      ['client', `CONNECT\naccept-version:1.2\nhost:localhost\nheart-beat:${c}\n\n\0`, 0],
      ['broker', `CONNECTED\nversion:1.2\nserver:ActiveMQ/5.17.6\nheart-beat:${s}\n\n\0`, 1],
    ];
    // The first keep-alive 2.02 s after CONNECTED (the inactivity monitor found nothing written in its second period).
    const first = analyze(sorted([...amq('1000,1000', '1000,1000'), ...beats('client', 1000, 4000, 1000), ['broker', '\n', 2021],
      ...beats('broker', 3021, 4021, 1000)]), { closeAtMs: 4100 });
    const graded = first.findings.filter((f) => f.code === 'heartbeat-late' || f.code === 'heartbeat-missed');
    expect(graded).toEqual([expect.objectContaining({ code: 'heartbeat-late', severity: 'note', dir: 'broker' })]);
    expect(graded[0].message).toContain('up to twice the period is its usual schedule');
    // The live clock does not call 2.2 periods missed either.
    const c = conversation();
    c.feed(sorted([...amq('1000,1000', '1000,1000'), ...beats('client', 1000, 3000, 1000)]));
    c.analyzer.tick(T0 + 2_201_000);
    expect(c.analyzer.silenceDue(T0 + 2_201_000)).toBe(false);
    // Silent for 2.6 periods: missed, at the time it passed 2.5.
    const late = analyze(sorted([...amq('1000,1000', '1000,1000'), ...beats('client', 1000, 4000, 1000), ['broker', '\n', 2601]]), { closeAtMs: 2700 });
    expect(late.findings.filter((f) => f.code === 'heartbeat-missed')).toEqual([expect.objectContaining({ severity: 'warning', time: T0 + 1000 + 2_500_000 })]);
    // The client's silences are judged as on any broker (the broker's tolerance is its configuration).
    const client = analyze(sorted([...amq('1000,0', '0,1000'), ['client', '\n', 2201]]), { closeAtMs: 2300 });
    expect(client.findings.filter((f) => f.code === 'heartbeat-missed')).toHaveLength(1);
  });
  it('exactly one warning for a peer silent past twice its period, reported by the clock and not again at the close', () => {
    const c = conversation();
    c.feed(sorted([...hs('1000,1000', '1000,1000'), ...beats('client', 1000, 9000, 1000), ...beats('broker', 1000, 2000, 1000)]));
    c.analyzer.tick(T0 + 4_500_000);
    const a = c.close(9500);
    const hb = a.findings.filter((f) => f.code === 'heartbeat-missed' || f.code === 'heartbeat-late');
    expect(hb).toEqual([expect.objectContaining({ code: 'heartbeat-missed', severity: 'warning', dir: 'broker', time: T0 + 4_000_000 })]);
  });
  it('a broker silent past twice its period while the client goes on, then the client DISCONNECTs: reported without a clock too (as in a capture)', () => {
    // No tick: the client's own heart-beats and its DISCONNECT tell the time; the broker is silent from 1 ms on.
    const steps = sorted([...hs('1000,1000', '1000,1000'), ...beats('client', 700, 2800, 700), ['client', 'DISCONNECT\n\n\0', 3000]]);
    const a = analyze(steps, { closeAtMs: 3100 });
    const missed = a.findings.filter((f) => f.code === 'heartbeat-missed' || f.code === 'heartbeat-late');
    expect(missed).toEqual([expect.objectContaining({ code: 'heartbeat-missed', severity: 'warning', dir: 'broker', time: T0 + 1000 + 2_000_000 })]);
  });
  it('the broker silent up to the close (the connection was dropped): reported at close', () => {
    const steps = sorted([...hs('0,1000', '1000,0'), ...beats('broker', 1000, 3000, 1000)]);
    const a = analyze(steps, { closeAtMs: 8000 });
    const missed = a.findings.filter((f) => f.code === 'heartbeat-missed');
    expect(missed).toEqual([expect.objectContaining({ dir: 'broker', time: T0 + 3_000_000 + 2_000_000 })]);
    expect(missed[0].message).toContain('before the connection closed');
    expect(missed[0].message).toContain('stomp.py (1.5×) and stompjs (2×, checked once per period) would have dropped the connection');
  });
  it('not when data keeps coming within 1.5 periods, frames count as data too', () => {
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
  it('reported by the clock once the silence passes twice the period, once, and not again when the peer speaks or the connection closes', () => {
    // The client must send every 1000 ms (warning past 2000 ms); it is silent after CONNECTED (1 ms).
    const c = conversation();
    c.feed(hs('1000,0', '0,1000'));
    c.analyzer.tick(at(1000));
    c.analyzer.tick(at(1900)); // late, but a late silence is graded when it ends
    expect(c.analyzer.silenceDue(at(2001))).toBe(false); // exactly at the limit: not yet
    expect(c.analyzer.silenceDue(at(2002))).toBe(true);
    c.analyzer.tick(at(2500));
    expect(c.analyzer.silenceDue(at(2500))).toBe(false);
    c.analyzer.tick(at(3000));
    c.feed([['client', '\n', 3500]]);
    const a = c.close(3600);
    const missed = a.findings.filter((f) => f.code === 'heartbeat-missed' || f.code === 'heartbeat-late');
    expect(missed).toHaveLength(1);
    expect(missed[0]).toMatchObject({ code: 'heartbeat-missed', dir: 'client', frameId: null, time: at(2001) });
    expect(missed[0].message).toContain('for 2.50 s so far');
  });
  it('a new silence after the peer spoke again is reported again; one reported and lasting to the close is not', () => {
    const c = conversation();
    c.feed(hs('1000,0', '0,1000'));
    c.analyzer.tick(at(2500)); // silence 1: reported live
    c.feed([['client', 'SEND\ndestination:/q\n\nx\0', 2600]]);
    c.analyzer.tick(at(3000)); // 400 ms after the SEND: nothing
    c.analyzer.tick(at(4700)); // silence 2: reported live
    const a = c.close(9000); // silence 2 lasts to the close: not reported a second time
    const missed = a.findings.filter((f) => f.code === 'heartbeat-missed');
    expect(missed.map((f) => f.time)).toEqual([at(2001), at(4600)]);
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
