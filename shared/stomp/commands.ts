// The commands STOMP defines (STOMP 1.2 §Augmented BNF: client-command, server-command). Commands are
// case-sensitive: `send` is not SEND.

export const CLIENT_COMMANDS = [
  'SEND',
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'BEGIN',
  'COMMIT',
  'ABORT',
  'ACK',
  'NACK',
  'DISCONNECT',
  'CONNECT',
  'STOMP',
] as const;

export const SERVER_COMMANDS = ['CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR'] as const;

export type ClientCommand = (typeof CLIENT_COMMANDS)[number];
export type ServerCommand = (typeof SERVER_COMMANDS)[number];
export type StompCommand = ClientCommand | ServerCommand;

export const KNOWN_COMMANDS: readonly StompCommand[] = [...CLIENT_COMMANDS, ...SERVER_COMMANDS];

const KNOWN = new Set<string>(KNOWN_COMMANDS);

export function isKnownCommand(command: string): command is StompCommand {
  return KNOWN.has(command);
}

/** STOMP 1.2 §Body: "Only the SEND, MESSAGE, and ERROR frames MAY have a body." */
export function mayHaveBody(command: string): boolean {
  return command === 'SEND' || command === 'MESSAGE' || command === 'ERROR';
}
