// The assertions of the precision suite, the same for every broker: registered by precision-*.test.ts inside
// their describe. Each test awaits the rig's memoized results (support.ts), so each can run alone.
import { expect, it } from 'vitest';
import type { ClientName, Fault, Results, Run } from './support.js';
import { expected, parsed, rawDigest, serious } from './support.js';

/** Clients that negotiate heart-beats (Net::Stomp and php-stomp speak STOMP 1.0: no heart-beats). */
const HEART_BEATING: ClientName[] = ['stomp.py', 'Ruby stomp gem', 'stompjs (TCP)', 'stompjs (Web-STOMP)'];

const show = (x: unknown) => JSON.stringify(x, null, 1);

function ran(res: Results, name: string): Required<Pick<Run, 'a' | 'oracle' | 'recorded'>> & Run {
  const run = res.runs.get(name);
  expect(run, `${name} ran`).toBeDefined();
  expect(run!.failure, `${name} did not complete`).toBeNull();
  expect(run!.oracle, `${name}: the byte log splits into frames`).toBeDefined();
  expect(run!.recorded, `${name}: a recorded connection`).toBeDefined();
  return run as Required<Pick<Run, 'a' | 'oracle' | 'recorded'>> & Run;
}

export function definePrecisionTests(results: () => Promise<Results>, clients: ClientName[], faults: Fault[]): void {
  it('the proxy recorded one connection per run and exited 0; the capture imported completely', async () => {
    const res = await results();
    expect(res.proxyExit.code, res.proxyExit.stderr).toBe(0);
    expect([...res.runs.values()].filter((r) => !r.a).map((r) => r.name), 'runs that opened no connection').toEqual([]);
    expect(res.recordedConnections).toBe(res.runs.size);
    expect(res.importExit.code, res.importExit.stderr).toBe(0);
    const json = JSON.parse(res.importExit.stdout) as { complete: boolean; warnings: string[] };
    expect(json.complete).toBe(true);
    expect(json.warnings).toEqual([]);
    expect(res.importedConnections).toBe(res.runs.size);
  });

  for (const name of clients) {
    it(`${name}: the clean scenario ran through the proxy`, async () => {
      const run = ran(await results(), name);
      // CONNECT, SUBSCRIBE, ~20 SENDs, BEGIN, COMMIT, ACKs, UNSUBSCRIBE, DISCONNECT (in any order of headers).
      const commands = run.oracle.client.frames.map((f) => f.frame.command);
      expect(commands[0]).toMatch(/^(CONNECT|STOMP)$/);
      expect(commands.at(-1)).toBe('DISCONNECT');
      for (const c of ['SUBSCRIBE', 'BEGIN', 'COMMIT', 'ACK', 'UNSUBSCRIBE']) expect(commands, c).toContain(c);
      expect(commands.filter((c) => c === 'SEND').length).toBeGreaterThanOrEqual(20);
      expect(run.oracle.broker.frames.filter((f) => f.frame.command === 'MESSAGE').length).toBeGreaterThanOrEqual(20);
    });

    it(`${name}: every frame recorded exactly as the client-side byte log has it (command, headers, body, raw bytes)`, async () => {
      const { oracle, recorded } = ran(await results(), name);
      const v = oracle.version;
      expect(recorded.info.version ?? '1.0', 'negotiated version').toBe(v);
      for (const dir of ['client', 'broker'] as const) {
        const want = oracle[dir];
        expect(recorded.frames[dir].map(parsed), `${dir} frames`).toEqual(expected(want, v));
        expect(rawDigest(recorded.frames[dir]), `${dir} frames' raw bytes`).toEqual(rawDigest(want.frames));
        expect(recorded.stream[dir]?.equals(want.stream), `${dir} stream: every byte stored`).toBe(true);
        expect(recorded.extra[dir], `${dir} stream: nothing stored beyond the byte log`).toBe(false);
      }
    });

    it(`${name}: heart-beat counts equal the wire's`, async () => {
      const { oracle, recorded } = ran(await results(), name);
      if (HEART_BEATING.includes(name)) {
        // The scenario's idle pause makes both sides beat: otherwise this test would prove nothing.
        expect(oracle.client.heartbeats, 'the client sent heart-beats').toBeGreaterThan(0);
        expect(oracle.broker.heartbeats, 'the broker sent heart-beats').toBeGreaterThan(0);
      }
      // Said on failure: EOLs right after a frame's NUL, which are the frame's own trailer, not heart-beats.
      const trailers = `EOLs right after a NUL on the wire: client ${oracle.client.trailers}, broker ${oracle.broker.trailers}`;
      expect(recorded.info.heartbeats, trailers).toEqual({ client: oracle.client.heartbeats, broker: oracle.broker.heartbeats });
    });

    it(`${name}: no error and no warning on the clean run (notes are fine)`, async () => {
      const { oracle, recorded } = ran(await results(), name);
      const got = serious(recorded.findings);
      if (name === 'stompjs (Web-STOMP)') {
        // stompjs always asks for a receipt on DISCONNECT, and RabbitMQ Web STOMP closes the WebSocket at
        // DISCONNECT without sending it (the byte log has no such RECEIPT): a note, disconnect-receipt-missing,
        // since nothing was lost; the client is done with the connection either way.
        const disconnect = oracle.client.frames.find((f) => f.frame.command === 'DISCONNECT')!.frame;
        const id = disconnect.rawHeaders.find(([k]) => k === 'receipt')?.[1];
        expect(id, 'stompjs asked for a receipt on DISCONNECT').toBeDefined();
        const answered = oracle.broker.frames.some((f) => f.frame.command === 'RECEIPT' && f.frame.rawHeaders.some(([k, v]) => k === 'receipt-id' && v === id));
        expect(answered, 'the byte log has no RECEIPT for the DISCONNECT').toBe(false);
        expect(recorded.findings.filter((x) => x.code === 'disconnect-receipt-missing').map((x) => x.severity)).toEqual(['note']);
      }
      expect(got, show(recorded.findings)).toEqual([]);
    });
  }

  for (const f of faults) {
    it(`planted fault, ${f.name}: exactly one finding, ${f.code}`, async () => {
      const { recorded } = ran(await results(), f.name);
      const got = serious(recorded.findings);
      expect(got.map((x) => x.code), show(recorded.findings)).toEqual([f.code]);
      expect(got[0].message).toMatch(f.message);
    });
  }

  for (const name of [...clients, ...faults.map((f) => f.name)]) {
    it(`${name}: the import of the tcpdump capture equals the proxy's recording`, async () => {
      const run = ran(await results(), name);
      const { recorded, imported } = run;
      expect(imported, 'the capture holds the same connection').toBeDefined();
      expect(imported!.info.transport).toBe(recorded.info.transport);
      expect(imported!.info.version).toBe(recorded.info.version);
      for (const dir of ['client', 'broker'] as const) {
        expect(imported!.frames[dir].map(parsed), `${dir} frames`).toEqual(recorded.frames[dir].map(parsed));
        expect(rawDigest(imported!.frames[dir]), `${dir} frames' raw bytes`).toEqual(rawDigest(recorded.frames[dir]));
      }
      expect(imported!.info.heartbeats, 'heart-beats').toEqual(recorded.info.heartbeats);
      const codes = (r: typeof recorded) => serious(r.findings).map((x) => x.code).sort();
      expect(codes(imported!), `findings\nrecorded: ${show(recorded.findings)}\nimported: ${show(imported!.findings)}`).toEqual(codes(recorded));
    });
  }
}
