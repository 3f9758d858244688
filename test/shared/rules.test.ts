// The rules language (shared/rules): checking a rules file (one line per mistake, naming the rule and the field;
// warnings for a `when` that can never match), matching a frame, and the scenarios shipped in scenarios/.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRules, checkRulesText, mayMatch, ruleMatches, type MatchFrame } from '../../shared/rules/rules.js';
import { SCENARIOS } from '../../shared/rules/scenarios.js';

const frame = (over: Partial<MatchFrame> = {}): MatchFrame => ({
  dir: 'broker', command: 'MESSAGE', headers: [['destination', '/queue/orders'], ['message-id', 'm-1']], size: 80, seq: 3, conn: 1,
  body: new TextEncoder().encode('{"order": 7}'), ...over,
});

describe('checking rules', () => {
  it('accepts the README example', () => {
    const c = checkRules([
      { name: 'slow orders', when: 'command == "MESSAGE" and destination == "/queue/orders"', do: 'delay', ms: 5000 },
      { name: 'lost receipt', when: 'command == "RECEIPT" and header["receipt-id"] == "r-7"', do: 'drop' },
      { name: 'tag', when: 'command == "SEND"', do: 'set-header', header: 'x-trace', value: 'on' },
      { name: 'forbid', when: 'command == "SEND" and destination == "/queue/admin"', do: 'reply', command: 'ERROR', headers: [['message', 'forbidden by rule']], body: 'no' },
    ]);
    expect([c.errors, c.warnings, c.rules.map((r) => r.name)]).toEqual([[], [], ['slow orders', 'lost receipt', 'tag', 'forbid']]);
  });

  it('names the rule and the field of each mistake, one line each', () => {
    const c = checkRules([
      { name: 'a', when: 'command == ', do: 'drop' },
      { when: 'command == "SEND"', do: 'delay' },
      { name: 'c', when: 'issue', do: 'drop' },
      { name: 'd', when: 'command == "SEND"', do: 'set-header', header: 'x' },
      { name: 'e', when: 'command == "SEND"', do: 'explode' },
      { name: 'f', when: 'command == "SEND"', do: 'drop', probability: 2, colour: 'red' },
      'drop',
    ]);
    expect(c.rules).toEqual([]);
    expect(c.errors).toEqual([
      'rule 1 ("a"): when: expected a value after ==, found the end (at 12)',
      'rule 2: ms: delay needs "ms" (milliseconds)',
      'rule 3 ("c"): when: issue is known only once a frame is recorded, not while it is forwarded',
      'rule 4 ("d"): value: set-header needs "value"',
      'rule 5 ("e"): do: expected one of delay, drop, set-header, remove-header, replace-body, map-destination, reply, inject, close, reset, stall-heartbeats, break, got "explode"',
      'rule 6 ("f"): colour: unknown field (fields: name, when, do, enabled, times, probability, ms, jitterMs, header, value, body, bodyBase64, to, command, headers, keepOpen)',
      'rule 6 ("f"): probability: expected a number from 0 to 1, got 2',
      'rule 7: expected an object like {"when": "...", "do": "drop"}',
    ]);
    expect(checkRulesText('{').errors[0]).toMatch(/^not JSON: /);
    expect(checkRules({}).errors).toEqual(['a rules file is a JSON array of rules, e.g. [{"when": "command == \\"SEND\\"", "do": "drop"}]']);
  });

  it('warns about a when that can never match: an unknown command, a command from the wrong side', () => {
    const c = checkRules([
      { when: 'command == "MESAGE"', do: 'drop' },
      { name: 'wrong side', when: 'from == client and command == "MESSAGE"', do: 'drop' },
      { when: 'command == "MESSAGE" or command == "MESAGE"', do: 'drop' },
    ]);
    expect(c.errors).toEqual([]);
    expect(c.warnings).toEqual([
      'rule 1: when: can never match: "MESAGE" is not a STOMP command',
      'rule 2 ("wrong side"): when: can never match: MESSAGE never comes from client',
    ]);
  });
});

describe('matching a frame', () => {
  const rule = (when: string) => checkRules([{ when, do: 'drop' }]).rules[0];
  it('evaluates the display-filter fields on the frame as forwarded', () => {
    const cases: Array<[string, boolean]> = [
      ['command == "MESSAGE" and destination == "/queue/orders"', true],
      ['command == message', true],
      ['from == client', false],
      ['header["message-id"] matches "^m-\\\\d$"', true],
      ['header["absent"] != "x"', true],
      ['header["absent"] == "x"', false],
      ['body contains "order"', true],
      ['size >= 80 and seq == 3 and conn == 1', true],
      ['not header["message-id"]', false],
      ['', true],
    ];
    expect(cases.map(([w]) => [w, ruleMatches(rule(w), frame())])).toEqual(cases);
  });

  it('says which frames any rule could match, so the proxy decodes only those', () => {
    const rules = checkRules([
      { when: 'command == "MESSAGE" and destination == "/queue/x"', do: 'drop' },
      { when: 'from == client and (command == "SEND" or command == "ACK")', do: 'drop' },
      { when: 'command == "RECEIPT"', do: 'drop', enabled: false },
    ]).rules;
    const asked = [['broker', 'MESSAGE'], ['client', 'SEND'], ['client', 'ACK'], ['broker', 'RECEIPT'], ['client', 'SUBSCRIBE']] as const;
    expect(asked.map(([d, c]) => mayMatch(rules, d, c))).toEqual([true, true, true, false, false]);
  });
});

describe('scenarios', () => {
  it('the files in scenarios/ are the UI\'s scenarios, and each checks without errors or warnings', () => {
    const dir = path.resolve(import.meta.dirname, '../../scenarios');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual(SCENARIOS.map((s) => `${s.id}.json`).sort());
    for (const s of SCENARIOS) {
      const json = JSON.parse(fs.readFileSync(path.join(dir, `${s.id}.json`), 'utf8'));
      expect(json).toEqual({ title: s.title, description: s.description, rules: s.rules });
      const c = checkRules(json);
      expect([s.id, c.errors, c.warnings]).toEqual([s.id, [], []]);
    }
  });
});
