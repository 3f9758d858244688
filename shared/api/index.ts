// The API contract between the UI and the core, in parts: the data it carries (dtos), the commands with their
// arguments and validation (contract, on the vocabulary of schema), the events, the errors and how they cross a
// transport, the limits, and the client the UI uses. Import from here.
export * from './client.js';
export * from './contract.js';
export * from './dtos.js';
export * from './errors.js';
export * from './events.js';
export * from './limits.js';
export * from './pem.js';
export * from './schema.js';
