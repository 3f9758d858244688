// The STOMP facts (shared/stomp/spec.ts) against STOMP 1.2, and the copies that used to live elsewhere now derived
// from them: what capture classification, replay, injection and the decoder take as a command.
import { describe, expect, it } from 'vitest';
import { INJECTABLE_COMMANDS } from '../../shared/api/index.js';
import { findFrameBoundary, startsWithFrame } from '../../src-main/core/capture/classify.js';
import { REPLAYED_COMMANDS } from '../../src-main/core/replay/plan.js';
import {
  BACKSLASH,
  CLIENT_COMMANDS,
  COLON,
  COMMAND_CHAR,
  commandSender,
  CR,
  HEADER_ESCAPES,
  isConnectCommand,
  isKnownCommand,
  KNOWN_COMMANDS,
  LF,
  LONGEST_COMMAND,
  mayHaveBody,
  NUL,
  SERVER_COMMANDS,
} from '../../shared/stomp/spec.js';
import { escapeValue, unescapeValue } from '../../shared/stomp/escape.js';
import { decode } from './stomp-helpers.js';

const te = new TextEncoder();

describe('STOMP facts', () => {
  it('commands: 11 client and 4 server commands (STOMP 1.2 §Client Frames, §Server Frames), case-sensitive', () => {
    expect([...CLIENT_COMMANDS].sort()).toEqual(
      ['ABORT', 'ACK', 'BEGIN', 'COMMIT', 'CONNECT', 'DISCONNECT', 'NACK', 'SEND', 'STOMP', 'SUBSCRIBE', 'UNSUBSCRIBE'],
    );
    expect([...SERVER_COMMANDS].sort()).toEqual(['CONNECTED', 'ERROR', 'MESSAGE', 'RECEIPT']);
    expect(KNOWN_COMMANDS).toHaveLength(15);
    for (const c of CLIENT_COMMANDS) expect(commandSender(c)).toBe('client');
    for (const c of SERVER_COMMANDS) expect(commandSender(c)).toBe('broker');
    expect(commandSender('send')).toBe(null);
    expect(isKnownCommand('send')).toBe(false);
    expect(LONGEST_COMMAND).toBe('UNSUBSCRIBE'.length);
    expect(KNOWN_COMMANDS.filter(mayHaveBody).sort()).toEqual(['ERROR', 'MESSAGE', 'SEND']);
    expect(KNOWN_COMMANDS.filter(isConnectCommand).sort()).toEqual(['CONNECT', 'STOMP']);
    // Every byte of every command is a command byte, or the decoder could not read it.
    for (const c of KNOWN_COMMANDS) for (const b of te.encode(c)) expect(COMMAND_CHAR[b]).toBe(1);
  });

  it('bytes: NUL, LF, CR, colon and backslash (STOMP 1.2 §Augmented BNF, §Value Encoding)', () => {
    expect([NUL, LF, CR, COLON, BACKSLASH]).toEqual([0, ...te.encode('\n\r:\\')]);
  });

  it('escapes: each version escapes exactly its table, and reads it back', () => {
    for (const [v, pairs] of Object.entries(HEADER_ESCAPES) as Array<[keyof typeof HEADER_ESCAPES, ReadonlyArray<readonly [string, string]>]>) {
      for (const [char, letter] of pairs) {
        expect(escapeValue(char, v)).toBe('\\' + letter);
        expect(unescapeValue('\\' + letter, v)).toBe(char);
      }
    }
    expect(escapeValue('\r', '1.1')).toBe('\r');
    const undefinedSeen: string[] = [];
    expect(unescapeValue('\\r', '1.1', (s) => undefinedSeen.push(s))).toBe('\\r');
    expect(undefinedSeen).toEqual(['\\r']);
  });

  it('the command lists elsewhere are these: replay, injection, capture classification, the decoder', () => {
    expect([...REPLAYED_COMMANDS].sort()).toEqual([...CLIENT_COMMANDS].sort());
    expect([...INJECTABLE_COMMANDS].sort()).toEqual(CLIENT_COMMANDS.filter((c) => c !== 'CONNECT' && c !== 'STOMP').sort());
    for (const c of KNOWN_COMMANDS) {
      expect(startsWithFrame(te.encode(`${c}\n\n\0`))).toEqual({ at: 0, command: c, sender: commandSender(c) });
      expect(findFrameBoundary(te.encode(`x\0\n${c}\r\n\n\0`), false)).toMatchObject({ at: 2, command: c });
      const [frame] = decode(`${c}\n\n\0`);
      expect(frame).toMatchObject({ kind: 'frame', command: c, issues: [] });
    }
    expect(startsWithFrame(te.encode('SENDX\n\n\0'))).toBe(null);
  });
});
