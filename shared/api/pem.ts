// PEM text given through the contract (a CA, a certificate and key for clients): the content of a file the user
// picked, never a path. The UI checks a picked file with the same function before sending it.
import { MAX_PEM_LENGTH } from './limits.js';

export type PemKind = 'certificate' | 'key';

/**
 * Why `text` is not PEM of the kind asked for, or null. Only the armour is checked here (shared code has no
 * crypto); the core then loads it with node:tls and reports what OpenSSL thinks.
 */
export function pemProblem(text: string, kind: PemKind): string | null {
  if (text.length > MAX_PEM_LENGTH) return `is larger than ${MAX_PEM_LENGTH / 1024} KB`;
  // BEGIN and END lines are matched separately: one regex spanning a block backtracks quadratically on hostile text.
  const ends = new Set([...text.matchAll(/-----END ([A-Z0-9 ]{1,40})-----/g)].map((m) => m[1]));
  const labels = [...text.matchAll(/-----BEGIN ([A-Z0-9 ]{1,40})-----/g)].map((m) => m[1]).filter((l) => ends.has(l));
  if (!labels.length) return 'is not PEM (no -----BEGIN …----- / -----END …----- block)';
  if (kind === 'certificate' && !labels.includes('CERTIFICATE')) return `holds no CERTIFICATE block (found ${labels.join(', ')})`;
  if (kind === 'key' && !labels.some((l) => l.endsWith('PRIVATE KEY'))) return `holds no PRIVATE KEY block (found ${labels.join(', ')})`;
  return null;
}
