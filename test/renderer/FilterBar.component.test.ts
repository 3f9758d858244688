// The display-filter bar: a syntax error is drawn under the very characters it is about, the message names
// the column, Apply is refused until the text parses, and a good filter is applied through the core.
import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import FilterBar from '../../src-renderer/src/components/FilterBar.svelte';
import { FramesState } from '../../src-renderer/src/lib/frames.svelte.js';
import { fakeApi, sessionHandlers, settle } from './fake-api.js';

async function openFrames() {
  const fake = fakeApi(sessionHandlers(10));
  const frames = new FramesState(fake.api);
  await frames.open(7, '');
  return { fake, frames };
}

describe('FilterBar', () => {
  it('underlines the offending text inline, names its column, and refuses to apply it', async () => {
    const { frames } = await openFrames();
    render(FilterBar, { frames });
    const input = screen.getByTestId('filter-input') as HTMLInputElement;
    const text = 'command == "SEND" and size > big';
    await fireEvent.input(input, { target: { value: text } });

    expect(input.getAttribute('aria-invalid')).toBe('true');
    const under = input.parentElement!.querySelector('.marker .under')!;
    const pad = input.parentElement!.querySelector('.marker .pad')!;
    // The marker overlays the input: the padding is the text before the error, so the wavy line sits under it.
    expect(under.textContent).toBe('big');
    expect(pad.textContent).toBe(text.slice(0, text.indexOf('big')));
    expect(screen.getByTestId('filter-error').textContent).toContain(`(at column ${text.indexOf('big') + 1})`);
    expect((screen.getByTestId('filter-apply') as HTMLButtonElement).disabled).toBe(true);
  });

  it('marks an unterminated string from its quote to the end', async () => {
    const { frames } = await openFrames();
    render(FilterBar, { frames });
    await fireEvent.input(screen.getByTestId('filter-input'), { target: { value: 'destination contains "ord' } });
    expect(document.querySelector('.marker .under')!.textContent).toBe('"ord');
    expect(screen.getByTestId('filter-error').textContent).toMatch(/unterminated string \(at column 22\)/);
  });

  it('clears the error when the text parses, and applies the filter through the core', async () => {
    const { fake, frames } = await openFrames();
    render(FilterBar, { frames });
    const input = screen.getByTestId('filter-input');
    await fireEvent.input(input, { target: { value: 'command ==' } });
    expect(screen.queryByTestId('filter-error')).not.toBeNull();
    await fireEvent.input(input, { target: { value: 'command == "SEND"' } });
    expect(screen.queryByTestId('filter-error')).toBeNull();
    expect(document.querySelector('.marker')).toBeNull();

    await fireEvent.click(screen.getByTestId('filter-apply'));
    await settle();
    expect(fake.calls.filter((c) => c.cmd === 'frames.query').at(-1)!.args).toEqual({ session: 7, filter: 'command == "SEND"' });
    expect(frames.applied).toBe('command == "SEND"');
    // A filter in force can be cleared.
    expect(screen.getByTestId('filter-clear')).toBeTruthy();
  });
});
