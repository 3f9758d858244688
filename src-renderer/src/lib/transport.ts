// The one module that knows which host the UI runs in. Everything else gets an ApiClient.
import { ApiClient, type ApiTransport } from '../../../shared/api.js';

interface Bridge {
  invoke(command: string, args: unknown): Promise<unknown>;
}

export function createClient(): ApiClient {
  const bridge = (globalThis as { stompscope?: Bridge }).stompscope;
  if (bridge) {
    const transport: ApiTransport = { invoke: (cmd, args) => bridge.invoke(cmd, args) as never };
    return new ApiClient(transport);
  }
  throw new Error('StompScope: no host bridge (run the desktop app)');
}
