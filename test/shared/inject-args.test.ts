// The contract's check of `frame.inject` arguments (shared/api/contract.ts validateArgs): the same frame rules as
// `frame.resend` (a masked credential is never sent), a connection id, an optional timeout.
import { describe, expect, it } from 'vitest';
import { ApiError, validateArgs } from '../../shared/api/index.js';
import { MASK } from '../../shared/stomp/secrets.js';

const frame = { command: 'SEND', headers: [['destination', '/queue/a']], bodyBase64: 'aGk=' };
const ok = { connection: 3, frame, timeoutMs: 5000 };

describe('frame.inject arguments', () => {
  it('takes a connection and an edited frame', () => {
    expect(validateArgs('frame.inject', ok)).toEqual(ok);
    expect(validateArgs('frame.inject', { connection: 3, frame })).toEqual({ connection: 3, frame });
  });

  it.each([
    [{ ...ok, connection: 0 }, /'connection' must be an integer from 1/],
    [{ frame }, /'connection' must be an integer/],
    [{ ...ok, frame: null }, /'frame' must be a frame/],
    [{ ...ok, frame: { ...frame, command: 'SEND\nx:1' } }, /command must be a word/],
    [{ ...ok, frame: { ...frame, headers: [['passcode', MASK]] } }, /re-enter the frame header 'passcode'/],
    [{ ...ok, frame: { ...frame, bodyBase64: 'not base64!' } }, /body must be base64/],
    [{ ...ok, timeoutMs: 10 }, /'timeoutMs' must be an integer from 100/],
  ])('refuses %j', (args, message) => {
    expect(() => validateArgs('frame.inject', args)).toThrow(ApiError);
    expect(() => validateArgs('frame.inject', args)).toThrow(message);
  });
});

describe('the frame.injected filter field', () => {
  it('parses as a bare test or a number comparison, and refuses a text value', async () => {
    const { parseFilter, filterError } = await import('../../shared/filter/parser.js');
    expect(parseFilter('frame.injected')).toEqual({ type: 'exists', field: { kind: 'injected' } });
    expect(parseFilter('injected == 0 and command == SEND')).toMatchObject({ type: 'and', left: { type: 'compare', field: { kind: 'injected' }, op: '==', value: { type: 'number', value: 0 } } });
    expect(filterError('frame.injected contains "x"')?.message).toBe('frame.injected is a number; "x" is not');
  });
});
