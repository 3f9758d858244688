// Which EOLs are heart-beats, as a conversation: bytes in per direction through the real decoder and the
// ConnectionAnalyzer (the one place the rule lives), heart-beats counted out. Every broker writes an EOL right
// after a frame's NUL, in the same write; that EOL only ends the frame. STOMP 1.0 has no heart-beats at all.
// The answer must not depend on how the bytes were cut into reads (the NUL and the EOL may come apart).
import { describe, expect, it } from 'vitest';
import { ConnectionAnalyzer } from '../../shared/analysis/connection.js';
import { StompDecoder } from '../../shared/stomp/decoder.js';
import type { Direction } from '../../shared/stomp/types.js';
import { T0 } from './analysis-helpers.js';

type Step = [Direction, string, number];

/** Heart-beats counted per direction when each step's bytes arrive in pieces of `piece` bytes (0: whole). */
function count(steps: Step[], piece = 0): Record<Direction, number> {
  const a = new ConnectionAnalyzer({ link: () => {}, finding: () => {} });
  const decoders = { client: new StompDecoder(), broker: new StompDecoder() };
  const beats = { client: 0, broker: 0 };
  let id = 0;
  for (const [dir, text, ms] of steps) {
    const bytes = new TextEncoder().encode(text);
    const size = piece || bytes.length;
    for (let i = 0; i < bytes.length; i += size) {
      decoders[dir].push(bytes.subarray(i, i + size), T0 + ms * 1000, (e) => {
        if (e.kind === 'frame') {
          a.frame({ id: ++id, dir, time: e.time, command: e.command, headers: e.headers, bodyLength: e.bodyLength, offset: e.offset, length: e.length });
        } else if (e.kind === 'heartbeat' && a.heartbeat(dir, e.time, e.offset)) beats[dir]++;
      });
    }
  }
  a.close(T0 + 60_000_000);
  return beats;
}

const PIECES = [0, 1, 2, 3, 7];

describe('heart-beat counts follow the expert-info rule', () => {
  it('STOMP 1.0 (stompserver): the EOLs after each frame, and blank lines between frames, are no heart-beats', () => {
    const steps: Step[] = [
      ['client', 'CONNECT\nlogin:guest\npasscode:guest\n\n\0', 0],
      ['broker', 'CONNECTED\nsession:wow\n\n\0\n', 1],
      ['client', 'SUBSCRIBE\ndestination:/queue/a\nack:client\n\n\0\n', 2],
    ];
    for (let i = 0; i < 30; i++) steps.push(['broker', `MESSAGE\ndestination:/queue/a\nmessage-id:${i}\n\nbody\0\n`, 10 + i]);
    steps.push(['broker', '\n\n', 100], ['client', '\r\n', 101], ['client', 'DISCONNECT\n\n\0\n', 102]);
    for (const piece of PIECES) expect(count(steps, piece), `pieces of ${piece}`).toEqual({ client: 0, broker: 0 });
  });

  it('STOMP 1.2 at 1000 ms: only the EOLs that stand alone count (8 on the wire, 40 EOLs in all)', () => {
    const steps: Step[] = [
      ['client', 'CONNECT\naccept-version:1.2\nhost:/\nheart-beat:1000,1000\n\n\0\n', 0],
      ['broker', 'CONNECTED\nversion:1.2\nheart-beat:1000,1000\n\n\0\n', 1],
    ];
    for (let s = 1; s <= 8; s++) {
      for (let m = 0; m < 4; m++) steps.push(['broker', `MESSAGE\nsubscription:0\nmessage-id:${s}-${m}\ndestination:/queue/a\n\nx\0\n`, s * 1000 - 500 + m]);
      steps.push(['broker', '\n', s * 1000], ['client', '\r\n', s * 1000 + 1]);
    }
    for (const piece of PIECES) expect(count(steps, piece), `pieces of ${piece}`).toEqual({ client: 8, broker: 8 });
  });

  it('the NUL and its EOL in separate reads, a CRLF split between reads: the same count', () => {
    const steps: Step[] = [
      ['client', 'CONNECT\naccept-version:1.2\nhost:/\nheart-beat:1000,1000\n\n\0', 0],
      ['broker', 'CONNECTED\nversion:1.2\nheart-beat:1000,1000\n\n\0', 1],
      ['broker', '\r', 2], ['broker', '\n', 3], // ends CONNECTED
      ['broker', '\r', 1000], ['broker', '\n', 1001], // a heart-beat
      ['broker', 'RECEIPT\nreceipt-id:1\n\n\0', 1500], ['broker', '\n', 1501], ['broker', '\n', 2000],
    ];
    expect(count(steps)).toEqual({ client: 0, broker: 2 });
  });

  it('no heart-beats in a direction where none were negotiated, nor before CONNECTED', () => {
    const steps: Step[] = [
      ['client', 'CONNECT\naccept-version:1.2\nhost:/\nheart-beat:0,1000\n\n\0\n\n', 0],
      ['broker', 'CONNECTED\nversion:1.2\nheart-beat:1000,0\n\n\0\n', 1],
      ['client', '\n', 1000], ['broker', '\n', 1000], ['broker', '\n', 2000],
    ];
    expect(count(steps)).toEqual({ client: 0, broker: 2 });
  });

  it('a capture picked up after the handshake: the negotiation is unknown, lone EOLs count', () => {
    const steps: Step[] = [
      ['broker', 'MESSAGE\nsubscription:0\nmessage-id:1\ndestination:/queue/a\n\nx\0\n', 0],
      ['broker', '\n', 1000], ['client', '\n', 1000],
    ];
    expect(count(steps)).toEqual({ client: 1, broker: 1 });
  });
});
