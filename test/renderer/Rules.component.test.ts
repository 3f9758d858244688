// The Rules panel and the intercept queue against a fake core: what the panel sends (the rules as a rules file
// holds them, only each action's fields), that mistakes are shown before anything is sent, scenarios, and the
// intercept queue's Forward edited (the edited frame as the core takes it).
import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { HeldFrameDto, ProxyRulesDto } from '../../shared/api/index.js';
import RulesPanel from '../../src-renderer/src/components/RulesPanel.svelte';
import InterceptQueue from '../../src-renderer/src/components/InterceptQueue.svelte';
import { RulesState } from '../../src-renderer/src/lib/rules.svelte.js';
import { fakeApi, settle } from './fake-api.js';

const b64 = (s: string) => btoa(s);

describe('Rules panel', () => {
  it('edits, checks and applies the rules of a proxy', async () => {
    let stored: ProxyRulesDto = { session: 4, rules: [{ name: 'slow', when: 'command == "MESSAGE"', do: 'delay', ms: 500 }], holdTimeoutMs: 60_000, warnings: [] };
    const fake = fakeApi({
      'proxy.rules': () => stored,
      'proxy.setRules': ({ session, rules, holdTimeoutMs }) => (stored = { session, rules, holdTimeoutMs: holdTimeoutMs ?? 60_000, warnings: ['rule 2: when: can never match: "MESAGE" is not a STOMP command'] }),
    });
    const state = new RulesState(fake.api);
    render(RulesPanel, { rules: state });
    await state.open(4);
    await settle();
    expect(screen.getAllByTestId('rule')).toHaveLength(1);
    expect((screen.getByTestId('rule-ms') as HTMLInputElement).value).toBe('500');

    await fireEvent.click(screen.getByTestId('rule-add'));
    await settle();
    const whens = screen.getAllByTestId('rule-when');
    await fireEvent.input(whens[1], { target: { value: 'command == ' } });
    await settle();
    expect(screen.getByTestId('rules-problem').textContent).toMatch(/^rule 2: when: expected a value after ==/);
    expect((screen.getByTestId('rules-apply') as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.input(whens[1], { target: { value: 'command == "MESAGE"' } });
    // happy-dom does not tell Svelte's select binding which option is chosen: the choice is made on the state.
    state.rules[1].do = 'drop';
    state.changed();
    await settle();
    expect(screen.getByTestId('rules-status').textContent).toBe('Not applied yet.');
    await fireEvent.click(screen.getByTestId('rules-apply'));
    await settle();
    expect(fake.calls.at(-1)).toEqual({
      cmd: 'proxy.setRules',
      args: { session: 4, holdTimeoutMs: 60_000, rules: [{ name: 'slow', when: 'command == "MESSAGE"', do: 'delay', ms: 500 }, { when: 'command == "MESAGE"', do: 'drop' }] },
    });
    expect(screen.getByTestId('rules-status').textContent).toBe('In force.');
    expect(screen.getByTestId('rules-warning').textContent).toContain('can never match');

    expect([...screen.getByTestId('rule-scenario').querySelectorAll('option')].map((o) => o.textContent)).toEqual(
      ['choose…', 'Slow broker', 'Lossy receipts', 'Broker says no', 'Silent broker', 'Flaky network']);
    state.loadScenario('broker-says-no');
    await settle();
    expect(screen.getAllByTestId('rule')).toHaveLength(3);
    expect((screen.getAllByTestId('rule-name')[2] as HTMLInputElement).value).toBe('broker says no');
  });
});

describe('intercept queue', () => {
  it('shows the held frame in the editor and forwards it edited', async () => {
    let held: HeldFrameDto[] = [{
      id: 9, session: 4, conn: 1, client: '127.0.0.1:5000', from: 'client', rule: 'hold', command: 'SEND', headers: [['destination', '/queue/a'], ['x-note', 'as sent']],
      bodyBase64: b64('hello'), rawBase64: b64('SEND\ndestination:/queue/a\nx-note:as sent\n\nhello\0'), version: '1.2', heldAt: Date.now(), timeoutAt: Date.now() + 60_000,
    }];
    const fake = fakeApi({
      'intercept.list': () => held,
      'intercept.decide': () => {
        held = [];
        return { decided: true };
      },
    });
    const state = new RulesState(fake.api);
    render(InterceptQueue, { rules: state });
    fake.emit('intercept.changed', { held: 1 });
    await settle();
    state.openQueue();
    await settle();
    expect((screen.getByTestId('intercept-command') as HTMLInputElement).value).toBe('SEND');
    await fireEvent.input(screen.getAllByTestId('intercept-header-value')[1], { target: { value: 'edited' } });
    await fireEvent.input(screen.getByTestId('intercept-body'), { target: { value: 'bye' } });
    await fireEvent.click(screen.getByTestId('intercept-forward-edited'));
    await settle();
    expect(fake.calls.find((c) => c.cmd === 'intercept.decide')).toEqual({
      cmd: 'intercept.decide', args: { id: 9, do: 'edit', frame: { command: 'SEND', headers: [['destination', '/queue/a'], ['x-note', 'edited']], bodyBase64: b64('bye') } },
    });
    expect(screen.getByTestId('intercept-empty')).toBeTruthy();
  });
});
