// The body view a frame opens with follows its content-type: a JSON body (application/json, or any +json type)
// opens as JSON even when it does not start with { or [ (a JSON string or number is JSON too); XML types as XML;
// without a content-type, the first character decides. Text and hex stay a click away.
import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { FrameDetailDto } from '../../shared/api/index.js';
import FrameDetail from '../../src-renderer/src/components/FrameDetail.svelte';
import { AppState } from '../../src-renderer/src/lib/app.svelte.js';
import { fakeApi, row, settle } from './fake-api.js';

function detail(headers: Array<[string, string]>, body: string): FrameDetailDto {
  const head = `SEND\n${headers.map(([k, v]) => `${k}:${v}\n`).join('')}\n`;
  return {
    row: row(0), session: 1, version: '1.2', offset: 0, crlf: false,
    headers: headers.map(([name, value]) => ({ name, value, rawName: name, rawValue: value, repeated: false })),
    bodyLength: body.length, bodyBase64: btoa(body), bodyTruncated: false, rawBase64: btoa(`${head}${body}\0`), rawTruncated: false, issues: [],
    sincePreviousMs: null,
  };
}

async function open(d: FrameDetailDto) {
  const app = new AppState(fakeApi({ 'frame.detail': () => d }).api);
  render(FrameDetail, { app });
  await app.detail.load(1);
  await settle();
  return app;
}

const pressed = (v: string) => screen.getByTestId(`body-${v}`).getAttribute('aria-pressed');

describe('FrameDetail: the body view follows the content-type', () => {
  it('opens an application/json body as JSON even when it is a JSON number', async () => {
    const app = await open(detail([['destination', '/queue/a'], ['content-type', 'application/json']], '42'));
    expect(app.detail.bodyView).toBe('json');
    expect(pressed('json')).toBe('true');
    expect(screen.getByTestId('detail-body').textContent).toBe('42');
  });

  it('opens a +json type with parameters pretty-printed, and text stays selectable', async () => {
    const app = await open(detail([['content-type', 'application/vnd.orders+json; charset=utf-8']], ' "ok" '));
    expect(app.detail.bodyView).toBe('json');
    await open(detail([['content-type', 'application/problem+json']], '{"title":"bad","status":400}'));
    expect(screen.getAllByTestId('detail-body').at(-1)!.textContent).toBe('{\n  "title": "bad",\n  "status": 400\n}');
    await fireEvent.click(screen.getAllByTestId('body-text').at(-1)!);
    expect(screen.getAllByTestId('detail-body').at(-1)!.textContent).toBe('{"title":"bad","status":400}');
  });

  it('does not call a text/plain body JSON because of its content-type, and keeps the guess without one', async () => {
    const app = await open(detail([['content-type', 'text/plain']], 'hello'));
    expect(app.detail.bodyView).toBe('text');
    const app2 = await open(detail([], '<a><b/></a>'));
    expect(app2.detail.bodyView).toBe('xml');
  });
});
