// A fake transport for component tests: the component is under test, not the core, so commands are answered
// from a table of handlers and every call is recorded for the test to read. What crosses it is what crosses a real
// transport: the arguments are copied by structured clone (as Electron IPC does; a value it cannot copy fails here
// as it would there) and validated by the contract's validateArgs, so a component that sends arguments the real
// core refuses fails its test; results are copied too, and a handler's ApiError reaches the component rebuilt from
// {code, message, detail}, as from the web host or the Electron bridge.
import {
  ApiClient, replyOf, resultOf, validateArgs, type ApiChannel, type CommandArgs, type CommandName, type CommandResult, type EventName, type Events,
  type FrameRowDto,
} from '../../shared/api/index.js';

export type Handlers = { [C in CommandName]?: (args: CommandArgs<C>) => CommandResult<C> };

export interface FakeApi {
  api: ApiClient;
  calls: Array<{ cmd: CommandName; args: unknown }>;
  /** Sends an event from the fake core, as a host would. */
  emit<E extends EventName>(event: E, data: Events[E]): void;
}

export function fakeApi(handlers: Handlers): FakeApi {
  const calls: FakeApi['calls'] = [];
  let listener: ((event: string, data: unknown) => void) | null = null;
  const transport: ApiChannel = {
    listen(fn) {
      listener = fn;
    },
    async invoke<C extends CommandName>(cmd: C, args: CommandArgs<C>): Promise<CommandResult<C>> {
      calls.push({ cmd, args });
      const reply = await replyOf(() => {
        const valid = validateArgs(cmd, structuredClone(args));
        const h = handlers[cmd] as ((a: CommandArgs<C>) => CommandResult<C>) | undefined;
        if (!h) throw new Error(`the fake core has no ${cmd}`);
        return h(valid);
      });
      return resultOf<CommandResult<C>>(structuredClone(reply));
    },
  };
  return { api: new ApiClient(transport), calls, emit: (event, data) => listener?.(event, data) };
}
/** Row `i` (0-based) of a synthetic session: alternating SEND from the client and RECEIPT from the broker. */
export function row(i: number): FrameRowDto {
  const send = i % 2 === 0;
  return {
    id: i + 1, number: i + 1, connection: 1, connectionNumber: 1, seq: i + 1, from: send ? 'client' : 'broker', time: null, command: send ? 'SEND' : 'RECEIPT',
    destination: send ? `/queue/q${i}` : null, size: 40, issues: 0, t: 1_000_000 + i * 1000, ref: send ? null : `r-${i - 1}`, info: '', severity: null,
  };
}

/** Handlers for a session of `total` synthetic frames, through an unfiltered query. */
export function sessionHandlers(total: number): Handlers {
  return {
    'frames.query': () => ({ query: 1, total }),
    'frames.window': ({ start, count }) => {
      const s = Math.min(start, total);
      return { total, start: s, rows: Array.from({ length: Math.min(count, total - s) }, (_, k) => row(s + k)) };
    },
    'frames.page': ({ after, limit }) => Array.from({ length: Math.max(0, Math.min(limit, total - after)) }, (_, k) => row(after + k)),
    'frames.close': () => ({ closed: true }),
    'frames.indexOf': ({ id, number }) => ({ index: (id ?? number!) - 1, total, exact: true }),
  };
}

/** Lets pending promises and Svelte's effects run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
}
