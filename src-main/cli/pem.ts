// PEM files named on the command line (--ca, --tls-cert, --tls-key): read with a bound, only regular files, and
// checked before use, so that a mistake is one line naming the option that was wrong (not a hang on
// /dev/zero, not /etc/passwd taken as a CA, not a bad certificate reported as "cannot listen").
import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import tls from 'node:tls';
import { UsageError } from './args.js';
import { fileKind } from '../core/file-kind.js';

/** Far more than any certificate chain or key (a CA bundle of the whole web is about 200 KiB). */
export const MAX_PEM_BYTES = 1024 * 1024;

export type PemKind = 'certificate' | 'key';

const BEGIN: Record<PemKind, RegExp> = {
  certificate: /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----/,
  key: /-----BEGIN (?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----/,
};

/** Reads a PEM file for `flag`: a regular file of at most MAX_PEM_BYTES with a PEM block of the kind expected. */
export function readPemFile(file: string, flag: string, kind: PemKind): Buffer {
  const fail = (why: string) => new UsageError(`${flag}: ${file}: ${why}`);
  let fd: number;
  try {
    const before = fs.statSync(file);
    if (!before.isFile()) throw fail(`${fileKind(before)}, not a PEM file`);
    // Checked again on the descriptor (the path may change in between); O_NONBLOCK: a pipe put there meanwhile
    // must not block the open.
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw fail(`cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let data: Buffer;
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw fail(`${fileKind(st)}, not a PEM file`);
    if (st.size > MAX_PEM_BYTES) throw fail(`${st.size} bytes, more than a PEM file holds (at most ${MAX_PEM_BYTES})`);
    // One byte more than the bound: a file that grew meanwhile is refused, not cut.
    const buf = Buffer.alloc(MAX_PEM_BYTES + 1);
    let n = 0;
    for (let r; n < buf.length && (r = fs.readSync(fd, buf, n, buf.length - n, n)) > 0;) n += r;
    if (n > MAX_PEM_BYTES) throw fail(`more than ${MAX_PEM_BYTES} bytes, more than a PEM file holds`);
    data = buf.subarray(0, n);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw fail(`cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    fs.closeSync(fd);
  }
  const text = data.toString('latin1');
  if (!BEGIN[kind].test(text)) {
    throw fail(kind === 'certificate' ? "not a PEM certificate (no '-----BEGIN CERTIFICATE-----' line)" : "not a PEM private key (no '-----BEGIN PRIVATE KEY-----' line)");
  }
  try {
    if (kind === 'certificate') {
      // node:tls skips certificate blocks it cannot parse without a word: parse each one to say which is bad.
      const blocks = text.match(/-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----[\s\S]*?-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g) ?? [];
      if (blocks.length === 0) throw new Error('a certificate block without its END line');
      blocks.forEach((b, i) => {
        try {
          new X509Certificate(b);
        } catch (e) {
          throw new Error(`certificate ${i + 1} of ${blocks.length}: ${(e as Error).message}`);
        }
      });
    } else {
      createPrivateKey(data);
    }
  } catch (e) {
    throw fail(`not a valid PEM ${kind}: ${(e as Error).message.split('\n')[0]}`);
  }
  return data;
}

/** The certificate and key for TLS from clients: each valid alone (readPemFile), and belonging together. */
export function readServerTls(certFile: string, keyFile: string): { cert: Buffer; key: Buffer } {
  const cert = readPemFile(certFile, '--tls-cert', 'certificate');
  const key = readPemFile(keyFile, '--tls-key', 'key');
  try {
    tls.createSecureContext({ cert, key });
  } catch (e) {
    throw new UsageError(`--tls-cert and --tls-key: ${certFile} and ${keyFile} cannot be used together: ${(e as Error).message.split('\n')[0]}`);
  }
  return { cert, key };
}
