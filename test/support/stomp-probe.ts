// A short STOMP connection of the test's own to a broker on the loopback (CONNECT as guest, wait for CONNECTED,
// close): traffic for a capture to see. Bounded: it gives up after 10 s and never rejects.
import net from 'node:net';

export function stompProbe(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => s.write('CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:guest\n\n\0'));
    s.on('data', (d) => {
      if (d.includes('CONNECTED')) s.end();
    });
    s.setTimeout(10_000, () => s.destroy());
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
}
