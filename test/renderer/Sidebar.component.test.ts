// Starting a proxy with TLS from the form: the user picks PEM files, the page reads them as text and sends that
// text in `proxy.start` (never a path); files that are not PEM of the right kind are refused at once, and Start
// waits until the client certificate and key are both there.
import { fireEvent, render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { ProxyOptionsDto } from '../../shared/api/index.js';
import Sidebar from '../../src-renderer/src/components/Sidebar.svelte';
import { AppState } from '../../src-renderer/src/lib/app.svelte.js';
import { fakeApi, sessionHandlers, settle } from './fake-api.js';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIEfake\n-----END PRIVATE KEY-----\n';

async function mountForm() {
  const fake = fakeApi({
    ...sessionHandlers(0),
    'sessions.list': () => [],
    'proxy.list': () => [],
    'proxy.start': (o) => ({ session: 1, listen: '127.0.0.1:40123', upstream: o.upstream, upstreamTls: !!o.upstreamTls, clientTls: !!o.tlsCert, connections: 0 }),
  });
  const app = new AppState(fake.api);
  app.showProxyForm = true;
  render(Sidebar, { app });
  await settle();
  return { fake, app };
}

/** Picks a file in an <input type=file>, as the browser's file chooser would. */
async function pick(testid: string, name: string, text: string) {
  const input = screen.getByTestId(testid) as HTMLInputElement;
  Object.defineProperty(input, 'files', { configurable: true, value: [new File([text], name)] });
  await fireEvent.change(input);
  await settle();
}

const startArgs = (calls: Array<{ cmd: string; args: unknown }>) => calls.filter((c) => c.cmd === 'proxy.start').map((c) => c.args as ProxyOptionsDto);

describe('Sidebar: start a proxy with TLS', () => {
  it('sends the PEM text of the picked CA, certificate and key', async () => {
    const { fake } = await mountForm();
    await fireEvent.input(screen.getByTestId('proxy-upstream'), { target: { value: 'broker.example:61614' } });
    await fireEvent.click(screen.getByTestId('proxy-upstream-tls'));
    await pick('proxy-ca', 'ca.pem', CERT);
    await fireEvent.click(screen.getByTestId('proxy-client-tls'));
    const start = screen.getByTestId('proxy-start') as HTMLButtonElement;
    expect(start.disabled).toBe(true);
    await pick('proxy-tls-cert', 'server.crt', CERT);
    expect(start.disabled).toBe(true);
    await pick('proxy-tls-key', 'server.key', KEY);
    expect(start.disabled).toBe(false);

    await fireEvent.submit(screen.getByTestId('proxy-form'));
    await settle();
    expect(startArgs(fake.calls)).toEqual([{
      listen: '127.0.0.1:61623', upstream: 'broker.example:61614', name: undefined, upstreamTls: true, insecure: false, ca: CERT, tlsCert: CERT, tlsKey: KEY,
    }]);
    expect(JSON.stringify(fake.calls)).not.toMatch(/ca\.pem|server\.(crt|key)/);
  });

  it('refuses a file that is not PEM of the right kind, and sends no CA with "accept any certificate"', async () => {
    const { fake } = await mountForm();
    await fireEvent.click(screen.getByTestId('proxy-upstream-tls'));
    await pick('proxy-ca', 'capture.pcap', '\u00d4\u00c3\u00b2\u00a1 not pem');
    expect(screen.getByTestId('proxy-ca-error').textContent).toBe('capture.pcap is not PEM (no -----BEGIN …----- / -----END …----- block)');
    await pick('proxy-ca', 'server.key', KEY);
    expect(screen.getByTestId('proxy-ca-error').textContent).toMatch(/server\.key holds no CERTIFICATE block \(found PRIVATE KEY\)/);
    await pick('proxy-ca', 'ca.pem', CERT);
    expect(screen.queryByTestId('proxy-ca-error')).toBeNull();

    await fireEvent.click(screen.getByTestId('proxy-insecure'));
    await fireEvent.submit(screen.getByTestId('proxy-form'));
    await settle();
    expect(startArgs(fake.calls)[0]).toMatchObject({ upstreamTls: true, insecure: true, ca: undefined, tlsCert: undefined, tlsKey: undefined });
  });
});
