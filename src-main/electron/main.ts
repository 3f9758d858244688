// Electron main-process entry. The host itself is in host.ts, which tests load with electron mocked.
import { app } from 'electron';
import { createApp } from './host.js';

app.whenReady().then(createApp, (e: unknown) => {
  console.error('StompScope failed to start:', e);
  app.exit(1);
});
