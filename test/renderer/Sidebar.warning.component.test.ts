// A proxy whose recording paused (database locked by another process, disk full) shows the recorder's
// warning under it in the sidebar; forwarding goes on meanwhile, so the proxy stays listed as running.
import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import Sidebar from '../../src-renderer/src/components/Sidebar.svelte';
import { AppState } from '../../src-renderer/src/lib/app.svelte.js';
import { fakeApi, sessionHandlers, settle } from './fake-api.js';

const WARNING = 'recording paused: the database is locked by another process (database is locked); forwarding goes on, recording resumes when it is free';

describe('Sidebar: recorder warnings', () => {
  it('shows the warning of a running proxy, and nothing when there is none', async () => {
    let warning: string | null = WARNING;
    const fake = fakeApi({
      ...sessionHandlers(0),
      'sessions.list': () => [{ session: 1, kind: 'proxy', name: 'live', started: null, ended: null, state: 'recording', connections: 1, frames: 3 }],
      'proxy.list': () => [{ session: 1, listen: '127.0.0.1:40123', upstream: '127.0.0.1:61613', upstreamTls: false, clientTls: false, connections: 1, warning }],
    });
    const app = new AppState(fake.api);
    render(Sidebar, { app });
    await app.sessions.refresh();
    await settle();
    expect(screen.getByTestId('proxy-warning').textContent).toContain(WARNING);
    expect(screen.getByTestId('proxy-address').textContent).toBe('127.0.0.1:40123');
    warning = null;
    await app.sessions.refresh();
    await settle();
    expect(screen.queryByTestId('proxy-warning')).toBeNull();
  });
});
