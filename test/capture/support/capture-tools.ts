// Real capture tools on loopback: tcpdump (classic pcap, µs or ns; `-i any` for Linux cooked SLL / SLL2) and
// dumpcap (pcapng). Needs root (the tests run as root on CI) and the Debian packages tcpdump and tshark
// (dumpcap comes with it). Every wait is bounded; a tool is stopped by its own PID.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import net from 'node:net';

export type Tool = 'tcpdump' | 'dumpcap';

export interface CaptureSpec {
  name: string;
  tool: Tool;
  /** Interface and format flags (e.g. ['-i', 'any', '-y', 'LINUX_SLL2']). */
  args: string[];
  /** The link type we expect to read back (tcpdump.org/linktypes.html name). */
  linkType: string;
  format: 'pcap' | 'pcap-nsec' | 'pcapng';
}

export interface RunningCapture {
  spec: CaptureSpec;
  file: string;
  stop(): Promise<{ code: number | null; stderr: string }>;
}

export function toolAvailable(tool: Tool): boolean {
  return spawnSync(tool, ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/** Starts a capture and resolves once the tool says it is listening (so no early packet is missed). */
export async function startCapture(spec: CaptureSpec, file: string, filter: string, readyTimeoutMs = 15_000): Promise<RunningCapture> {
  const args =
    spec.tool === 'tcpdump'
      ? [...spec.args, '-U', '-B', '65536', '-s', '0', '-w', file, filter] // -B in KiB: a 64 MiB buffer, no drops
      : [...spec.args, '-B', '64', '-s', '0', '-f', filter, '-w', file, '-q'];
  const child: ChildProcess = spawn(spec.tool, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  const ready = spec.tool === 'tcpdump' ? /listening on/ : /Capturing on/;
  const deadline = Date.now() + readyTimeoutMs;
  while (!ready.test(stderr)) {
    if (child.exitCode !== null) throw new Error(`${spec.tool} ${args.join(' ')} exited ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${spec.tool} did not start capturing in time: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    spec,
    file,
    async stop() {
      // The tools stop at SIGINT without draining what the kernel still holds for them: under load (the whole
      // suite runs in parallel) they can be seconds behind. Wait until the file has stopped growing for a
      // second (at most 20 s), then stop.
      const size = () => {
        try {
          return statSync(file).size;
        } catch {
          return -1;
        }
      };
      const deadline = Date.now() + 20_000;
      let last = size();
      let stableSince = Date.now();
      while (Date.now() < deadline && Date.now() - stableSince < 1000) {
        await new Promise((r) => setTimeout(r, 100));
        const now = size();
        if (now !== last) {
          last = now;
          stableSince = Date.now();
        }
      }
      if (child.exitCode === null) child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(t);
      return { code, stderr };
    },
  };
}

export const CAPTURES: CaptureSpec[] = [
  { name: 'tcpdump pcap (µs)', tool: 'tcpdump', args: ['-i', 'lo'], linkType: 'EN10MB', format: 'pcap' },
  { name: 'tcpdump pcap (ns)', tool: 'tcpdump', args: ['-i', 'lo', '--time-stamp-precision=nano'], linkType: 'EN10MB', format: 'pcap-nsec' },
  { name: 'tcpdump -i any (SLL)', tool: 'tcpdump', args: ['-i', 'any', '-y', 'LINUX_SLL'], linkType: 'LINUX_SLL', format: 'pcap' },
  { name: 'tcpdump -i any (SLL2)', tool: 'tcpdump', args: ['-i', 'any', '-y', 'LINUX_SLL2'], linkType: 'LINUX_SLL2', format: 'pcap' },
  { name: 'dumpcap pcapng', tool: 'dumpcap', args: ['-i', 'lo'], linkType: 'EN10MB', format: 'pcapng' },
];

/**
 * "Listening" from a tool does not mean its capture is active yet (dumpcap says "Capturing on" before it is).
 * Opens a probe listener whose port the capture filters must include, then connects to it until every capture
 * file has grown (bounded): from then on nothing is missed. The probe flows carry no data, so the importer
 * skips them.
 */
export async function probeListener(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((c) => c.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export async function waitUntilCapturing(captures: RunningCapture[], probePort: number, timeoutMs = 15_000): Promise<void> {
  const size = (f: string) => {
    try {
      return statSync(f).size;
    } catch {
      return -1;
    }
  };
  const initial = captures.map((c) => size(c.file));
  const deadline = Date.now() + timeoutMs;
  while (captures.some((c, i) => size(c.file) <= initial[i])) {
    if (Date.now() > deadline) throw new Error(`captures not recording after ${timeoutMs} ms: ${captures.filter((c, i) => size(c.file) <= initial[i]).map((c) => c.spec.name).join(', ')}`);
    await new Promise<void>((resolve) => {
      const s = net.connect(probePort, '127.0.0.1', () => s.end());
      s.on('close', () => resolve());
      s.on('error', () => resolve());
    });
    await new Promise((r) => setTimeout(r, 200));
  }
}
