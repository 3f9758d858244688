// The TLS key schedules and AEAD record protection needed to read a capture with a key log, on Node's crypto:
//  - TLS 1.2 (RFC 5246 §5 PRF, §6.3 key block) with AES-GCM (RFC 5288: 4-byte salt + 8-byte explicit nonce)
//    and ChaCha20-Poly1305 (RFC 7905 §2: iv XOR the 64-bit sequence number);
//  - TLS 1.3 (RFC 8446 §7.1 HKDF-Expand-Label, §7.3 traffic keys, §5.3 per-record nonce, §5.2 inner plaintext)
//    with AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305.

import { createDecipheriv, createHmac } from 'node:crypto';

export type AeadName = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
export type HashName = 'sha256' | 'sha384';

export interface CipherSuite {
  id: number;
  name: string;
  aead: AeadName;
  hash: HashName;
  keyLength: number;
  /** TLS 1.2: the implicit part of the nonce from the key block (4 for GCM, 12 for ChaCha20). TLS 1.3: 12. */
  fixedIvLength: number;
  tls13: boolean;
}

function suite(id: number, name: string, aead: AeadName, hash: HashName, tls13: boolean): CipherSuite {
  const keyLength = aead === 'aes-128-gcm' ? 16 : 32;
  const fixedIvLength = tls13 || aead === 'chacha20-poly1305' ? 12 : 4;
  return { id, name, aead, hash, keyLength, fixedIvLength, tls13 };
}

/** The AEAD cipher suites we decrypt (IANA TLS Cipher Suites registry values). */
export const CIPHER_SUITES: ReadonlyMap<number, CipherSuite> = new Map([
  suite(0x1301, 'TLS_AES_128_GCM_SHA256', 'aes-128-gcm', 'sha256', true),
  suite(0x1302, 'TLS_AES_256_GCM_SHA384', 'aes-256-gcm', 'sha384', true),
  suite(0x1303, 'TLS_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 'sha256', true),
  suite(0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'aes-128-gcm', 'sha256', false),
  suite(0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'aes-256-gcm', 'sha384', false),
  suite(0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'aes-128-gcm', 'sha256', false),
  suite(0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'aes-256-gcm', 'sha384', false),
  suite(0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 'sha256', false),
  suite(0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 'sha256', false),
  suite(0xccaa, 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 'sha256', false),
  suite(0x009c, 'TLS_RSA_WITH_AES_128_GCM_SHA256', 'aes-128-gcm', 'sha256', false),
  suite(0x009d, 'TLS_RSA_WITH_AES_256_GCM_SHA384', 'aes-256-gcm', 'sha384', false),
  suite(0x009e, 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 'aes-128-gcm', 'sha256', false),
  suite(0x009f, 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 'aes-256-gcm', 'sha384', false),
].map((s) => [s.id, s]));

export function cipherSuiteName(id: number): string {
  return CIPHER_SUITES.get(id)?.name ?? `0x${id.toString(16).padStart(4, '0')}`;
}

const HASH_LENGTH: Record<HashName, number> = { sha256: 32, sha384: 48 };

/** P_hash of RFC 5246 §5. */
function pHash(hash: HashName, secret: Uint8Array, seed: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  let n = 0;
  let a: Buffer = seed;
  while (n < length) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(a).update(seed).digest();
    out.push(block);
    n += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** PRF(secret, label, seed) of RFC 5246 §5, with the suite's hash. */
export function prf12(hash: HashName, secret: Uint8Array, label: string, seed: Uint8Array, length: number): Buffer {
  return pHash(hash, secret, Buffer.concat([Buffer.from(label, 'latin1'), seed]), length);
}

/** HKDF-Expand of RFC 5869 §2.3. */
function hkdfExpand(hash: HashName, prk: Uint8Array, info: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  let t: Buffer = Buffer.alloc(0);
  let n = 0;
  for (let i = 1; n < length; i++) {
    t = createHmac(hash, prk).update(t).update(info).update(Buffer.from([i])).digest();
    out.push(t);
    n += t.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** HKDF-Expand-Label of RFC 8446 §7.1 with an empty context. */
export function hkdfExpandLabel(hash: HashName, secret: Uint8Array, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, full.length]), full, Buffer.from([0])]);
  return hkdfExpand(hash, secret, info, length);
}

/** One direction's record protection: a key, the fixed IV, and the record sequence number. */
export interface TrafficKeys {
  key: Buffer;
  iv: Buffer;
  seq: bigint;
}

/** TLS 1.3 traffic keys from a traffic secret (RFC 8446 §7.3). */
export function keys13(s: CipherSuite, secret: Uint8Array): TrafficKeys {
  return { key: hkdfExpandLabel(s.hash, secret, 'key', s.keyLength), iv: hkdfExpandLabel(s.hash, secret, 'iv', 12), seq: 0n };
}

/** The next traffic secret after a KeyUpdate (RFC 8446 §7.2). */
export function nextSecret13(s: CipherSuite, secret: Uint8Array): Buffer {
  return hkdfExpandLabel(s.hash, secret, 'traffic upd', HASH_LENGTH[s.hash]);
}

/** TLS 1.2 client and server write keys from the master secret (RFC 5246 §6.3; AEAD suites have no MAC keys). */
export function keys12(s: CipherSuite, master: Uint8Array, clientRandom: Uint8Array, serverRandom: Uint8Array): { client: TrafficKeys; server: TrafficKeys } {
  const k = s.keyLength;
  const iv = s.fixedIvLength;
  const block = prf12(s.hash, master, 'key expansion', Buffer.concat([serverRandom, clientRandom]), 2 * k + 2 * iv);
  return {
    client: { key: block.subarray(0, k), iv: block.subarray(2 * k, 2 * k + iv), seq: 0n },
    server: { key: block.subarray(k, 2 * k), iv: block.subarray(2 * k + iv, 2 * k + 2 * iv), seq: 0n },
  };
}

const TAG = 16;

function seqBytes(seq: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(seq);
  return b;
}

/** iv XOR the sequence number, left-padded to the IV's length (RFC 8446 §5.3, RFC 7905 §2). */
function xorNonce(iv: Buffer, seq: bigint): Buffer {
  const n = Buffer.from(iv);
  const s = seqBytes(seq);
  for (let i = 0; i < 8; i++) n[n.length - 8 + i] ^= s[i];
  return n;
}

function open(aead: AeadName, key: Buffer, nonce: Buffer, aad: Buffer, ciphertext: Uint8Array, tag: Uint8Array): Buffer | null {
  try {
    const d = aead === 'chacha20-poly1305'
      ? createDecipheriv(aead, key, nonce, { authTagLength: TAG })
      : createDecipheriv(aead, key, nonce);
    d.setAAD(aad, { plaintextLength: ciphertext.length });
    d.setAuthTag(tag);
    return Buffer.concat([d.update(ciphertext), d.final()]);
  } catch {
    return null; // the tag did not verify: wrong keys, or a damaged record
  }
}

/**
 * Opens a TLS 1.3 record (header `type 23, 0x0303, length`); returns the inner content type and content, or
 * null when it does not authenticate. Advances the sequence number either way (a damaged record still took one).
 */
export function open13(s: CipherSuite, k: TrafficKeys, header: Uint8Array, fragment: Uint8Array): { type: number; content: Buffer } | null | 'empty' {
  const seq = k.seq++;
  if (fragment.length < TAG + 1) return null;
  const plain = open(s.aead, k.key, xorNonce(k.iv, seq), Buffer.from(header), fragment.subarray(0, fragment.length - TAG), fragment.subarray(fragment.length - TAG));
  if (!plain) return null;
  // TLSInnerPlaintext: content, the real type, zero padding (RFC 8446 §5.2).
  let i = plain.length - 1;
  while (i >= 0 && plain[i] === 0) i--;
  if (i < 0) return 'empty';
  return { type: plain[i], content: plain.subarray(0, i) };
}

/** Opens a TLS 1.2 AEAD record of `type` and `version` (RFC 5246 §6.2.3.3); null when it does not authenticate. */
export function open12(s: CipherSuite, k: TrafficKeys, type: number, version: number, fragment: Uint8Array): Buffer | null {
  const seq = k.seq++;
  const explicit = s.aead === 'chacha20-poly1305' ? 0 : 8;
  if (fragment.length < explicit + TAG) return null;
  const ciphertext = fragment.subarray(explicit, fragment.length - TAG);
  const nonce = explicit ? Buffer.concat([k.iv, fragment.subarray(0, 8)]) : xorNonce(k.iv, seq);
  const aad = Buffer.concat([seqBytes(seq), Buffer.from([type, version >> 8, version & 0xff, ciphertext.length >> 8, ciphertext.length & 0xff])]);
  return open(s.aead, k.key, nonce, aad, ciphertext, fragment.subarray(fragment.length - TAG));
}
