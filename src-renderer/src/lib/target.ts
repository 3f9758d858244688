/** The TLS options of a replay or resend target as the contract takes them (replay.start, frame.resend). */
export function targetTlsArgs(t: { targetTls: boolean; insecure: boolean; ca: string | undefined }): { targetTls?: true; insecure?: true; ca?: string } {
  if (!t.targetTls) return {};
  // Options of a box that is unticked are not sent (the core refuses a CA without TLS, or with "any certificate").
  if (t.insecure) return { targetTls: true, insecure: true };
  return t.ca !== undefined ? { targetTls: true, ca: t.ca } : { targetTls: true };
}
