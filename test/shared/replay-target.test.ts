// The replay target rules shared by the dialog and the core: parsing (no default host), "is this the broker the
// connection was recorded with" (the confirmation before a replay reaches it), and replay.start / replay.diff / frame.resend
// validation.
import { describe, expect, it } from 'vitest';
import { ApiError, MAX_RESEND_BODY_BASE64, validateArgs } from '../../shared/api/index.js';
import { MASK } from '../../shared/stomp/secrets.js';
import { isOriginalBroker, parseTarget } from '../../shared/replay-target.js';

describe('parseTarget', () => {
  it('reads HOST:PORT, [V6]:PORT and HOST (port 61613)', () => {
    expect(parseTarget('broker.example:61614')).toEqual({ host: 'broker.example', port: 61614 });
    expect(parseTarget(' [::1]:61613 ')).toEqual({ host: '::1', port: 61613 });
    expect(parseTarget('10.0.0.9')).toEqual({ host: '10.0.0.9', port: 61613 });
  });

  it('has no default host, and refuses what is not an endpoint', () => {
    for (const bad of ['', '   ', ':61613', 'a b:1', '::1:61613', 'host:0', 'host:70000', 'host:']) {
      expect(typeof parseTarget(bad), bad).toBe('string');
    }
    // Unlike the proxy's listen field, a bare port does not mean loopback: the target is spelled out.
    expect(parseTarget('61613')).toBe('a port alone is not a target: write HOST:61613');
  });
});

describe('isOriginalBroker', () => {
  it('matches the recorded broker address however loopback is spelled', () => {
    expect(isOriginalBroker('127.0.0.1:61613', '127.0.0.1:61613')).toBe(true);
    expect(isOriginalBroker('localhost:61613', '127.0.0.1:61613')).toBe(true);
    expect(isOriginalBroker('LOCALHOST', '127.0.0.1:61613')).toBe(true);
    expect(isOriginalBroker('[::1]:61613', '127.0.0.1:61613')).toBe(true);
    expect(isOriginalBroker('127.0.0.1:61613', '[::ffff:127.0.0.1]:61613')).toBe(true);
    expect(isOriginalBroker('Broker.Example:61613', 'broker.example:61613')).toBe(true);
  });

  it('does not match another port, another host, or what does not parse', () => {
    expect(isOriginalBroker('127.0.0.1:61614', '127.0.0.1:61613')).toBe(false);
    expect(isOriginalBroker('10.0.0.8:61613', '10.0.0.9:61613')).toBe(false);
    expect(isOriginalBroker('', '127.0.0.1:61613')).toBe(false);
    expect(isOriginalBroker('127.0.0.1:61613', '')).toBe(false);
  });
});

describe('replay.start arguments', () => {
  const ok = { connection: 3, target: 'broker:61613' };
  const bad = (args: Record<string, unknown>) => {
    try {
      validateArgs('replay.start', { ...ok, ...args });
    } catch (e) {
      expect(e).toBeInstanceOf(ApiError);
      expect((e as ApiError).code).toBe('bad-request');
      return (e as ApiError).message;
    }
    throw new Error(`accepted ${JSON.stringify(args)}`);
  };

  it('accepts the full set of options', () => {
    const args = {
      ...ok, targetTls: true, ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', speed: 2.5, login: 'guest', passcode: 'p',
      mapDestination: [['/queue/a', '/queue/b']], until: 12, timeoutMs: 5000, name: 'r', confirmOriginalBroker: true,
    };
    expect(validateArgs('replay.start', args)).toEqual(args);
    expect(validateArgs('replay.start', { ...ok, asFastAsPossible: true })).toMatchObject({ asFastAsPossible: true });
  });

  it('needs a connection and an explicit target', () => {
    expect(bad({ connection: 0 })).toMatch(/'connection'/);
    expect(bad({ target: undefined })).toMatch(/'target'/);
    expect(bad({ target: '' })).toMatch(/target: the target broker is required/);
    expect(bad({ target: 'a:b:c' })).toMatch(/HOST:PORT/);
  });

  it('applies the CLI rules on TLS, timing and credentials', () => {
    expect(bad({ insecure: true })).toMatch(/needs TLS/);
    expect(bad({ ca: 'not pem', targetTls: true })).toMatch(/CA file is not PEM/);
    expect(bad({ targetTls: true, insecure: true, ca: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----' })).toMatch(/exclude/);
    expect(bad({ speed: 0 })).toMatch(/'speed'/);
    expect(bad({ speed: Number.NaN })).toMatch(/'speed'/);
    expect(bad({ speed: 2, asFastAsPossible: true })).toMatch(/exclude/);
    expect(bad({ passcode: 'a\nb' })).toMatch(/line break/);
    expect(bad({ login: 7 })).toMatch(/'login'/);
    expect(bad({ timeoutMs: 10 })).toMatch(/'timeoutMs'/);
    expect(bad({ until: 1.5 })).toMatch(/'until'/);
    expect(bad({ confirmOriginalBroker: 'yes' })).toMatch(/true or false/);
  });

  it('takes destination mappings as distinct [from, to] pairs of names', () => {
    expect(bad({ mapDestination: { a: 'b' } })).toMatch(/list/);
    expect(bad({ mapDestination: [['/queue/a']] })).toMatch(/\[from, to\]/);
    expect(bad({ mapDestination: [['/queue/a', '']] })).toMatch(/\[from, to\]/);
    expect(bad({ mapDestination: [['/queue/a', 'x\ny']] })).toMatch(/\[from, to\]/);
    expect(bad({ mapDestination: [['/queue/a', '/b'], ['/queue/a', '/c']] })).toMatch(/mapped twice/);
    expect(bad({ mapDestination: Array.from({ length: 101 }, (_, i) => [`/q/${i}`, '/x']) })).toMatch(/at most 100/);
  });
});

describe('replay.diff arguments', () => {
  it('two connection ids, and includeVolatile a boolean', () => {
    expect(validateArgs('replay.diff', { a: 1, b: 2, includeVolatile: true })).toEqual({ a: 1, b: 2, includeVolatile: true });
    expect(() => validateArgs('replay.diff', { a: 1 })).toThrow(/'b'/);
    expect(() => validateArgs('replay.diff', { a: 1, b: 2, includeVolatile: 1 })).toThrow(/true or false/);
  });
});

describe('frame.resend arguments', () => {
  const frame = { command: 'SEND', headers: [['destination', '/queue/a']], bodyBase64: btoa('hi') };
  const connect = { command: 'CONNECT', headers: [['accept-version', '1.2'], ['login', 'guest'], ['passcode', 'guest']], bodyBase64: '' };
  const ok = { id: 4, target: 'other:61613', connect, frame };
  const bad = (args: Record<string, unknown>) => {
    try {
      validateArgs('frame.resend', { ...ok, ...args });
    } catch (e) {
      expect((e as ApiError).code).toBe('bad-request');
      return (e as ApiError).message;
    }
    throw new Error(`accepted ${JSON.stringify(args)}`);
  };

  it('accepts an edited frame with or without a CONNECT before it', () => {
    expect(validateArgs('frame.resend', ok)).toEqual(ok);
    expect(validateArgs('frame.resend', { ...ok, connect: null, frame: connect })).toMatchObject({ connect: null });
  });

  it('never takes a masked credential: it must be re-entered', () => {
    expect(bad({ connect: { ...connect, headers: [['passcode', MASK]] } })).toMatch(/re-enter the connect header 'passcode'/);
    expect(bad({ frame: { ...frame, headers: [['Authorization', MASK]] } })).toMatch(/re-enter the frame header 'Authorization'/);
    // The same characters under a name that is no credential are an ordinary value.
    expect(validateArgs('frame.resend', { ...ok, frame: { ...frame, headers: [['x-stars', MASK]] } })).toBeTruthy();
  });

  it('checks the target, the commands, the headers and the body', () => {
    expect(bad({ target: '' })).toMatch(/target/);
    expect(bad({ connect: { ...connect, command: 'SEND' } })).toMatch(/CONNECT or STOMP/);
    expect(bad({ connect: undefined })).toMatch(/'connect' must be a frame/);
    expect(bad({ frame: { ...frame, command: 'SEND\nx' } })).toMatch(/command/);
    expect(bad({ frame: { ...frame, headers: [['', 'v']] } })).toMatch(/non-empty name/);
    expect(bad({ frame: { ...frame, headers: [['a', 1]] } })).toMatch(/\[name, value\]/);
    expect(bad({ frame: { ...frame, bodyBase64: 'not base64!' } })).toMatch(/base64/);
    expect(bad({ frame: { ...frame, bodyBase64: 'A'.repeat(MAX_RESEND_BODY_BASE64 + 4) } })).toMatch(/base64/);
  });
});
