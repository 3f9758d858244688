// The few parts of the `sockjs` server package (0.3.24, no type definitions of its own) the tests use.
declare module 'sockjs' {
  import type { Server as HttpServer } from 'node:http';
  import type { EventEmitter } from 'node:events';
  export interface Connection extends EventEmitter {
    write(data: string): boolean;
    close(code?: number, reason?: string): boolean;
    on(event: 'data', listener: (message: string) => void): this;
    on(event: 'close', listener: () => void): this;
  }
  export interface SockJsServer extends EventEmitter {
    installHandlers(server: HttpServer, options?: { prefix?: string }): void;
    on(event: 'connection', listener: (conn: Connection) => void): this;
  }
  export function createServer(options?: { prefix?: string; heartbeat_delay?: number; disconnect_delay?: number; log?: (severity: string, message: string) => void }): SockJsServer;
  const sockjs: { createServer: typeof createServer };
  export default sockjs;
}
