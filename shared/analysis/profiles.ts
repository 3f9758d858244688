// Broker profiles: what a broker does beyond the STOMP specification, and the checks that follow from it.
// A connection's profile is detected from CONNECTED's `server` header (STOMP 1.2 §CONNECTED: "name/version
// comments"), or chosen by the user (`--profile`), which wins over detection.
//
// Known `server` forms: RabbitMQ "RabbitMQ/3.12.1"; ActiveMQ classic "ActiveMQ/5.18.3"; Artemis
// "ActiveMQ-Artemis/2.31.2 ActiveMQ Artemis Messaging Engine". The Ruby StompServer (0.9.x) sends no server
// header and Alibaba's RocketMQ gateway documents none, so those two are matched loosely or chosen by hand.

export const PROFILES = {
  rabbitmq: { title: 'RabbitMQ (rabbitmq_stomp)', server: /^RabbitMQ\b/i },
  activemq: { title: 'ActiveMQ classic', server: /^ActiveMQ\/|^ActiveMQ$/i },
  artemis: { title: 'ActiveMQ Artemis', server: /Artemis/i },
  stompserver: { title: 'StompServer (Ruby)', server: /stomp_?server/i },
  rocketmq: { title: 'Alibaba Cloud RocketMQ STOMP gateway', server: /rocketmq|aliyun|alibaba/i },
} as const;

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
