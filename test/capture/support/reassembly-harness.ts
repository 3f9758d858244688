// One direction's TCP reassembler wired to a log of what it delivers, for tests written as conversations:
// segments in (in capture order), the byte stream, gaps and FIN out. Adjacent deliveries are one stream, merged,
// so tests compare streams, not chunkings.
import { TcpReassembler, type ReassemblyBudget, type ReassemblyLimits } from '../../../src-main/core/capture/reassembly.js';

export type Out = string | { gap: number; cause: string } | 'FIN';

export function harness(limits: Partial<ReassemblyLimits> = {}, budget?: ReassemblyBudget) {
  const out: Out[] = [];
  const r = new TcpReassembler(
    {
      data: (b) => {
        const s = Buffer.from(b).toString('latin1');
        if (typeof out[out.length - 1] === 'string') out[out.length - 1] += s;
        else out.push(s);
      },
      gap: (n, _t, cause) => out.push({ gap: n, cause }),
      fin: () => out.push('FIN'),
    },
    limits,
    budget,
  );
  const seg = (seq: number, text: string, o: { fin?: boolean; cut?: number; time?: number } = {}) =>
    r.segment(seq >>> 0, Buffer.from(text, 'latin1'), o.cut ?? 0, !!o.fin, o.time ?? 0);
  return { r, out, seg };
}
