// The request parser of @mongodb-js/socksv5 (the package ships no types).
declare module '@mongodb-js/socksv5/lib/server.parser' {
  import { EventEmitter } from 'node:events';
  import type { Socket } from 'node:net';

  export interface SocksRequest {
    cmd: 'connect' | 'bind' | 'udp';
    dstAddr: string;
    dstPort: number;
  }

  class Parser extends EventEmitter {
    constructor(stream: Socket);
    authed: boolean;
    start(): void;
    stop(): void;
    on(event: 'methods', listener: (methods: Buffer) => void): this;
    on(event: 'request', listener: (request: SocksRequest) => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
  }
  export = Parser;
}
