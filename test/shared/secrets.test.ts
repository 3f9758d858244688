// Credentials are masked in views, never in the recording: a view over headers and over raw bytes.
import { describe, expect, it } from 'vitest';
import { maskDiff, type BrokerDiff } from '../../shared/correlate/broker-diff.js';
import { isSecretHeader, MASK, maskHeaders, maskRawFrame, maskText } from '../../shared/stomp/secrets.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe('secrets', () => {
  it('knows credential headers by name, whatever the case', () => {
    for (const n of ['login', 'passcode', 'PASSCODE', 'password', 'Authorization', 'x-auth-token', 'client-secret', 'api-key']) {
      expect(isSecretHeader(n), n).toBe(true);
    }
    for (const n of ['destination', 'host', 'receipt', 'content-length', 'accept-version']) expect(isSecretHeader(n), n).toBe(false);
  });

  it('masks values, keeps order and names, and leaves other headers alone', () => {
    const h: Array<[string, string]> = [['accept-version', '1.2'], ['login', 'guest'], ['passcode', 'p@ss'], ['host', '/']];
    expect(maskHeaders(h)).toEqual([['accept-version', '1.2'], ['login', MASK], ['passcode', MASK], ['host', '/']]);
    const plain: Array<[string, string]> = [['destination', '/q']];
    expect(maskHeaders(plain)).toBe(plain);
  });

  it('masks raw bytes in place, header block only, keeping every offset', () => {
    const frame = 'CONNECT\r\naccept-version:1.2\r\nlogin:guest\r\npasscode:s3cr3t\r\n\r\npasscode:in the body\0';
    const masked = maskRawFrame(enc(frame));
    expect(masked.length).toBe(enc(frame).length);
    expect(dec(masked)).toBe('CONNECT\r\naccept-version:1.2\r\nlogin:*****\r\npasscode:******\r\n\r\npasscode:in the body\0');
    const untouched = enc('SEND\ndestination:/q\n\nbody\0');
    expect(maskRawFrame(untouched)).toBe(untouched);
  });

  it('masks a credential line typed with another separator than \':\' (not a header, still a credential), and only its value', () => {
    const frame = 'CONNECT\naccept-version:1.2\npasscode=Hunter2\nx-api-key Abc\nheart-beat 0,0\nnocolon\n\n\0';
    expect(dec(maskRawFrame(enc(frame)))).toBe('CONNECT\naccept-version:1.2\npasscode=*******\nx-api-key ***\nheart-beat 0,0\nnocolon\n\n\0');
  });

  it('masks credentials quoted in free text (a broker quoting the line it refused), and nothing else', () => {
    expect(maskText('Unable to parse header line [passcode=Hunter2]')).toBe(`Unable to parse header line [passcode=${MASK}]`);
    expect(maskText('bad: X-Api-Key: k1, token=t1; routing-key=rk session:s1')).toBe(`bad: X-Api-Key: ${MASK}, token=${MASK}; routing-key=rk session:s1`);
    const plain = 'Invalid heart-beat header value: 100,10,50';
    expect(maskText(plain)).toBe(plain);
    expect(maskHeaders([['message', 'line [passcode=x]'], ['destination', '/q']])).toEqual([['message', `line [passcode=${MASK}]`], ['destination', '/q']]);
    // In raw bytes, byte for byte, the colon escaped as \c included (STOMP 1.2 §Value Encoding).
    expect(dec(maskRawFrame(enc('ERROR\nmessage:line [passcode\\cabc]\n\n\0')))).toBe('ERROR\nmessage:line [passcode\\c***]\n\n\0');
  });

  it('masks a diff: credential values whole, quoted credentials in place, the rest as compared', () => {
    const d: BrokerDiff = {
      matched: 1, missing: 0, extra: 0, changed: 1, ignoredHeaders: [],
      differences: [{
        kind: 'changed', key: 'ERROR #1', command: 'ERROR', a: 1, b: 1, body: null,
        headers: [{ name: 'auth-token', a: 't1', b: null }, { name: 'message', a: 'bad [passcode=p1]', b: 'other' }, { name: 'destination', a: '/a', b: '/b' }],
      }],
    };
    expect(maskDiff(d).differences[0].headers).toEqual([
      { name: 'auth-token', a: MASK, b: null }, { name: 'message', a: `bad [passcode=${MASK}]`, b: 'other' }, { name: 'destination', a: '/a', b: '/b' },
    ]);
  });
});
