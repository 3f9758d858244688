// Runs some real conversations while capture tools record the loopback, and returns the capture files: the
// probe handshake that proves every tool is recording (capture-tools.ts), the conversations, then every tool
// stopped by its own PID whatever happened. Shared by the committed-fixture script and the ActiveMQ test.
import path from 'node:path';
import { probeListener, startCapture, waitUntilCapturing, type CaptureSpec, type RunningCapture } from './capture-tools.js';

export interface CaptureRun<T> {
  /** Capture file per spec, in the order of `specs`. */
  files: string[];
  result: T;
}

/**
 * Captures `tcp port P` for each of `ports` (plus the probe's) with every spec into `dir` (named
 * `${base}-${i}.pcap|pcapng`) while `run` runs. Throws if a tool fails to start, to record, or exits badly.
 */
export async function captureWhile<T>(specs: CaptureSpec[], dir: string, ports: number[], run: () => Promise<T>, base = 'capture'): Promise<CaptureRun<T>> {
  const probe = await probeListener();
  const filter = [...ports, probe.port].map((p) => `tcp port ${p}`).join(' or ');
  const captures: RunningCapture[] = [];
  const files: string[] = [];
  let result: T;
  let bad: string[] = [];
  try {
    for (const [i, spec] of specs.entries()) {
      const file = path.join(dir, `${base}-${i}.${spec.format === 'pcapng' ? 'pcapng' : 'pcap'}`);
      captures.push(await startCapture(spec, file, filter));
      files.push(file);
    }
    await waitUntilCapturing(captures, probe.port);
    result = await run();
  } finally {
    await probe.close();
    const stopped = await Promise.all(captures.map((c) => c.stop()));
    bad = stopped.flatMap((r, i) => (r.code === 0 ? [] : [`${captures[i].spec.name} exited ${r.code}: ${r.stderr}`]));
  }
  // Reached only when the conversations ran (a failing one is the more useful error).
  if (bad.length) throw new Error(bad.join('\n'));
  return { files, result };
}
