// Credentials are masked in views, never in the recording: a view over headers and over raw bytes.
import { describe, expect, it } from 'vitest';
import { isSecretHeader, MASK, maskHeaders, maskRawFrame } from '../../shared/stomp/secrets.js';

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
});

