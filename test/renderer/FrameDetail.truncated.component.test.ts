// A body too large to show whole (a 100 MB frame): the detail gives its full length, says it is
// truncated and how much is shown, and lists the body-too-large issue.
import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { FrameDetailDto } from '../../shared/api/index.js';
import FrameDetail from '../../src-renderer/src/components/FrameDetail.svelte';
import { AppState } from '../../src-renderer/src/lib/app.svelte.js';
import { fakeApi, row, settle } from './fake-api.js';

const FULL = 100_000_000;
const SHOWN = 1024;

function detail(): FrameDetailDto {
  return {
    row: { ...row(0), size: FULL + 60 }, session: 1, version: '1.2', offset: 0, crlf: false,
    headers: [{ name: 'content-length', value: String(FULL), rawName: 'content-length', rawValue: String(FULL), repeated: false }],
    bodyLength: FULL, bodyBase64: btoa('x'.repeat(SHOWN)), bodyTruncated: true, rawBase64: btoa('SEND\n'), rawTruncated: true,
    issues: [{ code: 'body-too-large', severity: 'warning', message: 'body larger than 67108864 bytes was not kept' }], sincePreviousMs: null,
  };
}

describe('FrameDetail of a huge body', () => {
  it('shows the full length, that the body is truncated and how much of it is shown, and the issue', async () => {
    const app = new AppState(fakeApi({ 'frame.detail': () => detail() }).api);
    render(FrameDetail, { app });
    await app.detail.load(1);
    await settle();
    expect(screen.getByTestId('body-summary').textContent).toBe(`Body (${FULL} bytes, truncated: the first ${SHOWN} shown)`);
    expect(screen.getByTestId('detail-body').textContent).toBe('x'.repeat(SHOWN));
    expect(screen.getByTestId('detail-issues').textContent).toContain('body-too-large');
  });
});
