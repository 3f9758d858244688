// What proxy rules did, as the conversation stage carries it (FrameMark): the mark goes on the frame its bytes
// start, and correlation and expert info judge what each peer actually received, so a frame the other peer never
// got (forwarded: false) is emitted but inferred from by nothing.
import { describe, expect, it } from 'vitest';
import { Conversation } from '../../shared/conversation/conversation.js';
import type { ConversationSink, FrameMark } from '../../shared/conversation/types.js';

const T0 = Date.UTC(2026, 0, 1) * 1000;
const enc = (s: string) => new TextEncoder().encode(s);

function run(mark: FrameMark | null) {
  const frames: Array<[string, FrameMark | null]> = [];
  const links: string[] = [];
  const findings: string[] = [];
  let id = 1;
  const sink: ConversationSink = {
    stream: () => {}, streamGap: () => {}, heartbeat: () => {}, issue: () => {}, profile: () => {}, transport: () => {}, negotiated: () => {},
    frame: (f) => {
      frames.push([f.frame.command, f.mark]);
      return id++;
    },
    link: (l) => links.push(l.kind),
    finding: (f) => findings.push(f.code),
  };
  const c = new Conversation(sink);
  c.push('client', enc('CONNECT\naccept-version:1.2\nhost:/\n\n\0'), T0);
  c.push('broker', enc('CONNECTED\nversion:1.2\n\n\0'), T0 + 1000);
  c.push('client', enc('SEND\ndestination:/queue/a\nreceipt:r-7\n\nx\0'), T0 + 2000);
  c.push('broker', enc('RECEIPT\nreceipt-id:r-7\n\n\0'), T0 + 3000, mark);
  c.push('client', enc('DISCONNECT\n\n\0'), T0 + 4000);
  c.close(T0 + 5000, 'client closed');
  return { frames, links, findings };
}

describe('frames marked by proxy rules', () => {
  it('carry their mark; a frame not forwarded is not correlated (the client never got that RECEIPT)', () => {
    const forwarded = run({ rule: 'slow', action: 'delay' });
    expect(forwarded.frames[3]).toEqual(['RECEIPT', { rule: 'slow', action: 'delay' }]);
    expect(forwarded.frames.filter(([, m]) => m).length).toBe(1);
    expect(forwarded.links).toContain('receipt');

    const dropped = run({ rule: 'lost receipt', action: 'drop', forwarded: false });
    expect(dropped.frames.map(([c]) => c)).toEqual(['CONNECT', 'CONNECTED', 'SEND', 'RECEIPT', 'DISCONNECT']);
    expect(dropped.frames[3][1]).toEqual({ rule: 'lost receipt', action: 'drop', forwarded: false });
    expect(dropped.links).not.toContain('receipt');
    expect(run(null).links).toEqual(forwarded.links);
  });
});
