// Where a replay goes, and whether that is the broker the connection was recorded with. Pure, so the UI's
// confirmation and the core's refusal (replay.start without `confirmOriginalBroker`) use the same rule.
//
// Why the check exists (safety): a replay sends real SENDs and ACKs. Against the broker of the
// original session it re-publishes production messages and acknowledges other consumers' deliveries, so it must
// be a deliberate choice, never the result of a pre-filled field.

export const DEFAULT_STOMP_PORT = 61613;

export interface TargetEndpoint {
  host: string;
  port: number;
}

/** HOST:PORT, [V6]:PORT, or HOST alone (port 61613); an error message otherwise. Never a default host. */
export function parseTarget(text: string): TargetEndpoint | string {
  const t = text.trim();
  if (!t) return 'the target broker is required (HOST:PORT)';
  // The proxy's listen field reads a bare port as loopback; a replay target names its host.
  if (/^\d+$/.test(t)) return `a port alone is not a target: write HOST:${t}`;
  const m = /^\[([^\]\s]+)\](?::(\d{1,5}))?$/.exec(t) ?? /^([^:\s[\]]+)(?::(\d{1,5}))?$/.exec(t);
  if (!m) return `expected HOST:PORT (IPv6 in brackets), got ${JSON.stringify(text)}`;
  const port = m[2] === undefined ? DEFAULT_STOMP_PORT : Number(m[2]);
  if (port < 1 || port > 65535) return `port ${port} is out of range`;
  return { host: m[1], port };
}

/**
 * A host as a comparable key: case folded, brackets dropped, every loopback spelling (localhost, 127.x.y.z, ::1,
 * ::ffff:127.0.0.1) one key, since a proxy records the address it connected to while the user types a name.
 * Other names are not resolved (no DNS in shared code): a name and its address count as different brokers.
 */
function hostKey(host: string): string {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '').replace(/^::ffff:/, '');
  if (h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^0+:0+:0+:0+:0+:0+:0+:0*1$/.test(h)) return 'loopback';
  return h;
}

/**
 * Whether `target` (as typed) names the broker a connection was recorded with (its `broker` column, as the
 * proxy or the capture saw it: HOST:PORT). False when either does not parse.
 */
export function isOriginalBroker(target: string, broker: string): boolean {
  const a = parseTarget(target);
  const b = parseTarget(broker);
  if (typeof a === 'string' || typeof b === 'string') return false;
  return a.port === b.port && hostKey(a.host) === hostKey(b.host);
}
