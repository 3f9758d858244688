// Correlation and expert info: see connection.ts (one connection), delivery.ts (SEND -> MESSAGE across a
// session), profiles.ts (broker profiles) and the codes in ../issues.ts.
export * from './types.js';
export { ConnectionAnalyzer, HEARTBEAT_LATE, HEARTBEAT_MISSED, isoTime, type AnalyzerOptions } from './connection.js';
export { DeliveryCorrelator } from './delivery.js';
export { bodyFingerprint } from './fingerprint.js';
export { detectProfile, isProfileName, PROFILE_NAMES, PROFILES, type ProfileName } from './profiles.js';
