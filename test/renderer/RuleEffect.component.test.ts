// The frame detail's rule line: what a proxy rule did to the frame (rule, action, not forwarded, made up) and, for a
// rewritten frame, the peer's bytes beside what the other peer got. Nothing for a frame no rule touched.
import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { FrameDetailDto } from '../../shared/api/index.js';
import RuleEffect from '../../src-renderer/src/components/RuleEffect.svelte';

const b64 = (s: string) => btoa(s);
const row = { id: 5, number: 5, connection: 1, connectionNumber: 1, seq: 2, from: 'client' as const, time: null, command: 'SEND', destination: '/queue/a', size: 40, issues: 0, t: 0, ref: null, info: '', severity: null };
const detail = (over: Partial<FrameDetailDto>): FrameDetailDto => ({
  row, session: 1, version: '1.2', offset: 0, crlf: false, headers: [], bodyLength: 0, bodyBase64: '', bodyTruncated: false,
  rawBase64: b64('SEND\ndestination:/queue/a\nx-trace:on\n\n\0'), rawTruncated: false, issues: [], sincePreviousMs: null, ...over,
});

describe('RuleEffect', () => {
  it('shows a rewritten frame as sent and as forwarded', () => {
    render(RuleEffect, { d: detail({ row: { ...row, rule: { name: 'tag', action: 'set-header', forwarded: true, synthesized: false } }, originalBase64: b64('SEND\ndestination:/queue/a\n\n\0') }) });
    expect(screen.getByTestId('detail-rule').textContent).toContain('Rule “tag”: set-header');
    expect(screen.getByTestId('detail-rule-original').textContent).toBe('SEND\ndestination:/queue/a\n\n^@');
    expect(screen.getByTestId('detail-rule-rewritten').textContent).toBe('SEND\ndestination:/queue/a\nx-trace:on\n\n^@');
  });

  it('says a dropped frame never reached the other peer, and a reply was made up', () => {
    const { unmount } = render(RuleEffect, { d: detail({ row: { ...row, rule: { name: 'lost', action: 'drop', forwarded: false, synthesized: false } } }) });
    expect(screen.getByTestId('detail-rule').textContent).toContain('not forwarded: the other peer never got this frame');
    expect(screen.queryByTestId('detail-rule-original')).toBeNull();
    unmount();
    render(RuleEffect, { d: detail({ row: { ...row, rule: { name: 'no', action: 'reply', forwarded: true, synthesized: true } } }) });
    expect(screen.getByTestId('detail-rule').textContent).toContain('made up by the rule');
  });

  it('shows nothing for a frame no rule acted on', () => {
    render(RuleEffect, { d: detail({}) });
    expect(screen.queryByTestId('detail-rule')).toBeNull();
  });
});
