// Broker profiles: what a broker does beyond the STOMP specification, and the checks that follow from it.
// A connection's profile is detected from CONNECTED's `server` header (STOMP 1.2 §CONNECTED: "name/version
// comments"), or chosen by the user (`--profile`), which wins over detection.
//
// Known `server` forms: RabbitMQ "RabbitMQ/3.12.1"; ActiveMQ classic "ActiveMQ/5.18.3"; Artemis
// "ActiveMQ-Artemis/2.31.2 ActiveMQ Artemis Messaging Engine". The Ruby StompServer (0.9.x) sends no server
// header and Alibaba's RocketMQ gateway documents none, so those two are matched loosely or chosen by hand.

/**
 * A broker whose own heart-beats are on a schedule that runs late by design: silences from it are missed (a
 * warning) only past `missedAfter` periods, and a late one says why in `why`.
 */
export interface KeepAliveSchedule {
  missedAfter: number;
  why: string;
}

interface ProfileSpec {
  title: string;
  server: RegExp;
  keepAlive?: KeepAliveSchedule;
}

export const PROFILES = {
  rabbitmq: { title: 'RabbitMQ (rabbitmq_stomp)', server: /^RabbitMQ\b/i },
  // ActiveMQ classic writes its keep-alive only when a whole check period (the negotiated period) passed without a
  // write, so one can come up to two periods after its last frame (its first one after CONNECTED came 1.9–2.0 s
  // later at 1000 ms): that is its usual schedule, not a missed heart-beat; 2.5 leaves room for the JVM's timer.
  activemq: {
    title: 'ActiveMQ classic', server: /^ActiveMQ\/|^ActiveMQ$/i,
    keepAlive: { missedAfter: 2.5, why: 'ActiveMQ writes a keep-alive once a whole period passed without a write: up to twice the period is its usual schedule' },
  },
  artemis: { title: 'ActiveMQ Artemis', server: /Artemis/i },
  stompserver: { title: 'StompServer (Ruby)', server: /stomp_?server/i },
  rocketmq: { title: 'Alibaba Cloud RocketMQ STOMP gateway', server: /rocketmq|aliyun|alibaba/i },
} as const satisfies Record<string, ProfileSpec>;

/** The profile's own heart-beat schedule, when it runs late by design; null for the others (or no profile). */
export function keepAliveOf(profile: ProfileName | null): KeepAliveSchedule | null {
  if (!profile) return null;
  const spec: ProfileSpec = PROFILES[profile];
  return spec.keepAlive ?? null;
}

export type ProfileName = keyof typeof PROFILES;
export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

export function isProfileName(name: string): name is ProfileName {
  return Object.prototype.hasOwnProperty.call(PROFILES, name);
}

/** The profile a CONNECTED `server` header names, or null. Artemis is tested before ActiveMQ classic. */
export function detectProfile(server: string | undefined): ProfileName | null {
  if (!server) return null;
  for (const name of ['artemis', 'activemq', 'rabbitmq', 'stompserver', 'rocketmq'] as const) {
    if (PROFILES[name].server.test(server)) return name;
  }
  return null;
}

/** Destinations on the RocketMQ gateway: /t/<topic>, the topic of letters, digits, - and _. */
export const ROCKETMQ_DESTINATION = /^\/t\/[A-Za-z0-9_-]+$/;
/** Open transactions per connection and SENDs per transaction the RocketMQ gateway accepts. */
export const ROCKETMQ_MAX_OPEN_TRANSACTIONS = 1;
export const ROCKETMQ_MAX_TRANSACTION_SENDS = 3;
