// docs/expert-info.md, generated from the issue catalogue (shared/issues.ts) so that the two cannot drift:
// `npm run docs` writes it, and test/core/expert-doc.test.ts fails when the committed file is out of date.

import { HEARTBEAT_LATE, HEARTBEAT_MISSED } from '../shared/analysis/connection.js';
import { keepAliveOf, PROFILES } from '../shared/analysis/profiles.js';
import { LINK_KINDS } from '../shared/analysis/types.js';
import { ISSUES, type IssueInfo } from '../shared/issues.js';

/** Sections of the document: which codes each holds, in catalogue order. Codes in none go to "Other". */
const SECTIONS: Array<{ title: string; intro: string; codes: string[] }> = [
  {
    title: 'Wire: framing and escaping',
    intro: 'Found by the decoder while it cuts the byte stream into frames, and by the per-version header view.',
    codes: ['garbage', 'malformed-frame', 'malformed-header', 'bad-content-length', 'content-length-mismatch', 'line-too-long',
      'too-many-headers', 'body-too-large', 'unknown-command', 'truncated-frame', 'unexpected-body', 'mixed-line-endings', 'invalid-utf8',
      'undefined-escape', 'tcp-gap'],
  },
  {
    title: 'Protocol: negotiation and rules by version',
    intro: 'Checked per connection as frames are recorded (shared/analysis/connection.ts), against the version CONNECTED negotiated. ' +
      'Rules that need the version are skipped on a connection whose CONNECT/CONNECTED was not captured.',
    codes: ['unknown-version', 'version-not-offered', 'missing-accept-version', 'heartbeat-header-1-0', 'missing-host', 'subscribe-without-id', 'ack-without-id',
      'nack-in-1-0', 'ack-unknown-message', 'frame-after-disconnect', 'receipt-missing', 'disconnect-receipt-missing', 'error-frame', 'transaction-open', 'message-unacked'],
  },
  {
    title: 'Heart-beats',
    intro: `Periods are negotiated from CONNECT's and CONNECTED's heart-beat headers. Any data (a frame or an EOL) counts as a sign of life; ` +
      `a silence longer than ${HEARTBEAT_LATE}× the period is late (a note), longer than ${HEARTBEAT_MISSED}× missed (a warning; ` +
      `from an ActiveMQ classic broker, whose keep-alive comes up to twice the period after its last write, past ${keepAliveOf('activemq')!.missedAfter}×). ` +
      `An EOL directly after a frame's NUL only ends that frame, and EOLs are heart-beats only in a direction where heart-beats were negotiated ` +
      `(none on STOMP 1.0): the heart-beat counts (\`connections\`, \`report\`, the proxy's summary) follow the same rule.`,
    codes: ['bad-heart-beat', 'heartbeat-negotiated', 'heartbeat-late', 'heartbeat-missed', 'heartbeat-too-frequent'],
  },
  {
    title: 'Broker profiles',
    intro: 'Checks that apply to one broker only. The profile is detected from the CONNECTED frame\'s `server` header, or chosen with ' +
      '`--profile NAME` on `stompscope proxy` and `stompscope import` (the choice wins). Profiles:\n\n' +
      Object.entries(PROFILES).map(([name, p]) => `- \`${name}\`: ${p.title}`).join('\n'),
    codes: ['jms-message-type', 'artemis-durable-without-client-id', 'rocketmq-transaction-limit', 'rocketmq-transaction-size',
      'rocketmq-destination', 'rocketmq-selector'],
  },
  {
    title: 'Capture import and TCP',
    intro: 'Found while reading capture files and reassembling TCP (src-main/core/capture).',
    codes: ['tcp-segments-missing', 'snaplen-cut', 'tcp-midstream', 'tcp-syn', 'tcp-fin', 'tcp-rst', 'direction-guessed', 'unsupported-link-type',
      'capture-truncated', 'capture-corrupt'],
  },
  {
    title: 'Proxy and recorder',
    intro: 'Reported by the proxy and the recorder about the connection itself.',
    codes: ['recording-overload', 'recording-paused', 'recording-failed', 'broker-closed', 'upstream-unreachable', 'connection-error'],
  },
  {
    title: 'WebSocket and SockJS transport',
    intro: 'Found while unwrapping STOMP carried over WebSocket or SockJS, beneath the STOMP decoder.',
    codes: Object.keys(ISSUES).filter((c) => c.startsWith('websocket-') || c.startsWith('sockjs-') || c === 'http-not-websocket'),
  },
  {
    title: 'Replay findings',
    intro: 'Reported by `stompscope replay` about a replayed connection.',
    codes: Object.keys(ISSUES).filter((c) => c.startsWith('replay-')),
  },
];

function entry(code: string, i: IssueInfo): string {
  return `### \`${code}\` — ${i.title}\n\n*${i.severity}* · ${i.specRef}\n\n${i.explanation}\n`;
}

export function renderExpertInfoDoc(): string {
  const out: string[] = [];
  out.push('<!-- Generated from shared/issues.ts by `npm run docs` (scripts/gen-expert-info.ts). Do not edit by hand. -->');
  out.push('# Expert info: the issue catalogue\n');
  out.push('Every issue StompScope reports has a stable code, a severity (*error*: the traffic breaks the protocol or loses data; ' +
    '*warning*: probably a bug or a loss; *note*: worth knowing), a place (a frame, or a connection and a time) and a reference. ' +
    'Filter on them with `issue == "code"`, list them with `stompscope frames --jsonl`, count them with `stompscope report`.\n');
  out.push('Correlation links (the `links` table, also used for the latencies of `stompscope report`): ' +
    LINK_KINDS.map((k) => `\`${k}\``).join(', ') + '.\n');
  const done = new Set<string>();
  const sections = [...SECTIONS, { title: 'Other', intro: 'Codes not sorted into a section above.', codes: Object.keys(ISSUES) }];
  for (const s of sections) {
    const codes = s.codes.filter((c) => Object.prototype.hasOwnProperty.call(ISSUES, c) && !done.has(c));
    if (codes.length === 0) continue;
    out.push(`## ${s.title}\n\n${s.intro}\n`);
    for (const c of codes) {
      done.add(c);
      out.push(entry(c, (ISSUES as Record<string, IssueInfo>)[c]));
    }
  }
  return out.join('\n');
}
