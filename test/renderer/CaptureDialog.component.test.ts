// "Capture on interface…" beside Start proxy…: the dialog lists the core's interfaces, starts a capture with the
// chosen interface, ports and filter, refuses ports that are not ports, and shows the core's one-line refusal
// (no permission, no engine). And the import's key log: a key log picked or dropped with captures goes with each.
import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import { ApiClient, ApiError, type ApiChannel, type CaptureDto, type UploadFile } from '../../shared/api/index.js';
import Sidebar from '../../src-renderer/src/components/Sidebar.svelte';
import { AppState } from '../../src-renderer/src/lib/app.svelte.js';
import { ImportsState, isKeyLogName } from '../../src-renderer/src/lib/imports.svelte.js';
import { fakeApi, sessionHandlers, settle } from './fake-api.js';

const LO: CaptureDto = { session: 7, interface: 'lo', engine: 'dumpcap', filter: 'tcp port 61613', packets: 0, frames: 0 };

async function mount(start: (o: { interface: string; ports?: number[]; filter?: string }) => CaptureDto) {
  const running: CaptureDto[] = [];
  const fake = fakeApi({
    ...sessionHandlers(0),
    'sessions.list': () => [],
    'proxy.list': () => [],
    'capture.interfaces': () => ({ engine: 'dumpcap', interfaces: [{ name: 'eth0', description: null }, { name: 'lo', description: 'Loopback' }], error: null }),
    'capture.list': () => running,
    'capture.start': (o) => {
      const c = start(o);
      running.push(c);
      return c;
    },
    'capture.stop': () => ({ stopped: true }),
    'connections.list': () => [],
  });
  const app = new AppState(fake.api);
  render(Sidebar, { app });
  await settle();
  await fireEvent.click(screen.getByTestId('capture-toggle'));
  await settle();
  return { fake, app };
}

describe('Capture on interface…', () => {
  it('lists the interfaces (the loopback chosen first) and starts a capture with the ports given', async () => {
    const { fake, app } = await mount((o) => ({ ...LO, filter: (o.ports ?? []).map((p) => `tcp port ${p}`).join(' or ') }));
    const select = screen.getByTestId('capture-interface') as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toEqual(['eth0', 'lo (Loopback)']);
    expect(select.value).toBe('lo');
    await fireEvent.input(screen.getByTestId('capture-ports'), { target: { value: '61613, 5672' } });
    await fireEvent.submit(screen.getByTestId('capture-form'));
    await settle();
    expect(fake.calls.filter((c) => c.cmd === 'capture.start').map((c) => c.args)).toEqual([{ interface: 'lo', ports: [61613, 5672] }]);
    expect(screen.queryByTestId('capture-dialog')).toBeNull();
    expect(app.frames.session).toBe(7);
  });

  it('refuses ports that are not port numbers before asking the core', async () => {
    const { fake } = await mount(() => LO);
    await fireEvent.input(screen.getByTestId('capture-ports'), { target: { value: '61613 banana' } });
    expect(screen.getByTestId('capture-ports-problem').textContent).toBe('"banana" is not a port number (1-65535)');
    expect((screen.getByTestId('capture-start') as HTMLButtonElement).disabled).toBe(true);
    expect(fake.calls.some((c) => c.cmd === 'capture.start')).toBe(false);
  });

  it('shows the core\'s one-line refusal and stays open', async () => {
    const msg = 'no permission to capture on lo: run as root, or let your user capture (Debian: …)';
    await mount(() => {
      throw new ApiError('bad-request', msg);
    });
    await fireEvent.submit(screen.getByTestId('capture-form'));
    await settle();
    expect(screen.getByTestId('capture-error').textContent).toBe(msg);
    expect(screen.getByTestId('capture-dialog')).toBeTruthy();
  });
});

describe('import with a TLS key log', () => {
  it('tells key logs from captures by name', () => {
    expect(['keys.log', 'sslkeylog.txt', 'premaster.keys', 'SSLKEYLOGFILE.log'].map(isKeyLogName)).toEqual([true, true, true, true]);
    expect(['trace.pcapng', 'dump.pcap', 'x.cap', 'keylog.pcap'].map(isKeyLogName)).toEqual([false, false, false, false]);
  });

  it('a key log dropped with two captures goes with each; a key log alone is refused', async () => {
    const uploads: string[] = [];
    const starts: unknown[] = [];
    const channel: ApiChannel = {
      invoke: (async (cmd: string, args: unknown) => {
        if (cmd === 'import.start') starts.push(args);
        return { job: starts.length };
      }) as ApiChannel['invoke'],
      upload: async (f: UploadFile) => {
        uploads.push(f.name);
        return `u${uploads.length}`;
      },
    };
    const imports = new ImportsState(new ApiClient(channel), () => {});
    const file = (name: string): UploadFile => ({ name, size: 10 });
    await imports.importFiles([file('a.pcapng'), file('keys.log'), file('b.pcap')]);
    expect(uploads).toEqual(['a.pcapng', 'keys.log', 'b.pcap', 'keys.log']);
    expect(starts).toEqual([{ upload: 'u1', name: 'a.pcapng', keylog: 'u2' }, { upload: 'u3', name: 'b.pcap', keylog: 'u4' }]);
    await imports.importFiles([file('keys.log')]);
    expect(imports.jobs.at(-1)).toMatchObject({ state: 'failed', message: 'a TLS key log alone: pick or drop it together with the capture it decrypts' });
  });
});
