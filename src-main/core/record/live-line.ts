import type { LiveLine } from './connection-recorder.js';

/**
 * One tshark-like console line: seconds since the session started, connection (its number in the session), direction arrow, command,
 * destination or receipt id, size. Example: `   0.004211  #3  c→b  SEND         /queue/orders  212 B`.
 */
export function formatLiveLine(l: LiveLine, sessionStart: number): string {
  const t = ((l.time - sessionStart) / 1e6).toFixed(6).padStart(11);
  const arrow = l.dir === 'client' ? 'c→b' : l.dir === 'broker' ? 'c←b' : '   ';
  const size = l.size ? `${l.size} B` : '';
  return `${t}  #${l.connection}  ${arrow}  ${l.command.padEnd(11)}  ${l.info}${size && l.info ? '  ' : ''}${size}`;
}
