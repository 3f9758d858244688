import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Endpoint } from '../core/proxy/proxy.js';
import { PROFILE_NAMES, isProfileName, type ProfileName } from '../../shared/analysis/profiles.js';

/** A mistake in how the command was called: one line on stderr, exit status 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Strict option parsing with messages in our words. `help` is always accepted. */
export function parse<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    // One line, in our words: node's messages for an option value that starts with a dash span three.
    const dashed = /^Option '(--[\w-]+)' argument is ambiguous/.exec(msg);
    if (dashed) throw new UsageError(`${dashed[1]}: a value that starts with '-' must be written ${dashed[1]}=VALUE`);
    throw new UsageError(msg.split('\n')[0].replace(/^Unknown option/, 'unknown option'));
  }
}

export function noPositionals(positionals: string[]): void {
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`);
}

/** HOST:PORT, [IPV6]:PORT or PORT alone (then `defaultHost`). */
export function parseEndpoint(value: string, what: string, defaultHost: string, defaultPort?: number): Endpoint {
  let host = defaultHost;
  let portText: string | undefined = value;
  const bracket = /^\[([^\]]+)\](?::(\d*))?$/.exec(value);
  if (bracket) {
    host = bracket[1];
    portText = bracket[2];
  } else if (value.includes(':')) {
    const i = value.lastIndexOf(':');
    host = value.slice(0, i);
    portText = value.slice(i + 1);
    if (host.includes(':')) throw new UsageError(`${what}: write IPv6 addresses in brackets, e.g. [::1]:61613`);
  } else if (!/^\d+$/.test(value)) {
    host = value;
    portText = undefined;
  }
  if (!host) throw new UsageError(`${what}: missing host in '${value}'`);
  if (portText === undefined || portText === '') {
    if (defaultPort === undefined) throw new UsageError(`${what}: missing port in '${value}' (expected HOST:PORT)`);
    return { host, port: defaultPort };
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new UsageError(`${what}: '${portText}' is not a port number (0-65535)`);
  return { host, port };
}

export function parseId(value: string | undefined, what: string): number | null {
  if (value === undefined) return null;
  if (!/^[1-9]\d*$/.test(value)) throw new UsageError(`${what}: '${value}' is not a positive integer id`);
  return Number(value);
}

/** Validates `--profile NAME` (proxy, import): null when not given. */
export function parseProfileOption(value: string | undefined): ProfileName | null {
  if (value === undefined) return null;
  if (!isProfileName(value)) throw new UsageError(`--profile: unknown profile '${value}' (one of: ${PROFILE_NAMES.join(', ')})`);
  return value;
}

/** `--max-body N`: bytes, or with a K or M suffix (KiB, MiB); at most `max` (given in bytes, a whole number of MiB). */
export function parseSize(value: string | undefined, what: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)([KkMm]?)$/.exec(value);
  if (!m) throw new UsageError(`${what}: '${value}' is not a size (bytes, or with K, M: e.g. 64K, 16M)`);
  const n = Number(m[1]) * (m[2] === '' ? 1 : /k/i.test(m[2]) ? 1024 : 1024 * 1024);
  if (n > max) throw new UsageError(`${what}: '${value}' is more than ${max / (1024 * 1024)}M (${max / (1024 * 1024)} MiB: a bigger body would not fit in one JSON line)`);
  return n;
}
