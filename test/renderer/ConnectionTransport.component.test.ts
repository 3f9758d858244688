// The frame detail's connection line: the transport of the frame's connection and, for STOMP over WebSocket or
// SockJS, the HTTP upgrade handshake as recorded (headers in order, credentials as the core masked them).
import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { ConnectionDto } from '../../shared/api/index.js';
import ConnectionTransport from '../../src-renderer/src/components/ConnectionTransport.svelte';
import { ConnectionInfoState, transportLabel } from '../../src-renderer/src/lib/connection.svelte.js';
import { fakeApi, settle } from './fake-api.js';

const base = {
  session: 3, client: '127.0.0.1:50000', broker: '127.0.0.1:15674', version: '1.2' as const, opened: null, closed: null, closeReason: null,
  frames: { client: 1, broker: 1 }, heartbeats: { client: 0, broker: 0 }, bytes: { client: 10, broker: 10 }, issues: 0,
};
const ws: ConnectionDto = {
  ...base, connection: 7, number: 1, transport: 'websocket+tls',
  handshake: {
    transport: 'websocket', subprotocol: 'v12.stomp', offeredSubprotocols: ['v11.stomp', 'v12.stomp'], extensions: 'permessage-deflate', deflate: true,
    request: { method: 'GET', target: '/ws', version: 'HTTP/1.1', headers: [['Host', 'broker:15674'], ['Upgrade', 'websocket'], ['Authorization', '********']] },
    response: { version: 'HTTP/1.1', status: 101, reason: 'Switching Protocols', headers: [['Sec-WebSocket-Protocol', 'v12.stomp']] },
  },
};
const tcp: ConnectionDto = { ...base, connection: 8, number: 2, transport: 'tcp', handshake: null };

function mount(connection: number, list: ConnectionDto[] | null = [ws, tcp]) {
  const fake = fakeApi({
    'connections.list': () => {
      if (!list) throw new Error('no such session');
      return list;
    },
  });
  const state = new ConnectionInfoState(fake.api);
  render(ConnectionTransport, { state, session: 3, connection });
  return fake;
}

describe('ConnectionTransport', () => {
  it('shows a WebSocket connection\'s transport, subprotocol and its handshake', async () => {
    const fake = mount(7);
    await settle();
    expect(fake.calls).toEqual([{ cmd: 'connections.list', args: { session: 3 } }]);
    expect(screen.getByTestId('detail-transport').textContent!.replace(/\s+/g, ' ').trim()).toBe('WebSocket + TLS · subprotocol v12.stomp · permessage-deflate');
    expect(screen.getByTestId('detail-handshake').querySelector('summary')!.textContent).toBe('WebSocket handshake: GET /ws → 101');
    expect(screen.getByTestId('handshake-request').textContent).toBe('GET /ws HTTP/1.1\nHost: broker:15674\nUpgrade: websocket\nAuthorization: ********\n');
    expect(screen.getByTestId('handshake-response').textContent).toBe('HTTP/1.1 101 Switching Protocols\nSec-WebSocket-Protocol: v12.stomp\n');
  });

  it('shows a plain TCP connection without a handshake', async () => {
    mount(8);
    await settle();
    expect(screen.getByTestId('detail-transport').textContent!.trim()).toBe('TCP');
    expect(screen.queryByTestId('detail-handshake')).toBeNull();
  });

  it('shows nothing when the connection cannot be read', async () => {
    mount(7, null);
    await settle();
    expect(screen.queryByTestId('detail-transport')).toBeNull();
  });

  it('names every transport', () => {
    expect(['tcp', 'tls', 'websocket', 'websocket+tls', 'sockjs', 'sockjs+tls', 'other'].map(transportLabel))
      .toEqual(['TCP', 'TLS', 'WebSocket', 'WebSocket + TLS', 'SockJS', 'SockJS + TLS', 'other']);
  });
});
