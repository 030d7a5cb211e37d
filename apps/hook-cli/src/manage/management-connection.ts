import { createConnection, type Socket } from 'node:net';
import { ManagementParser, type ManagementEvent } from '@tunnelgate/openvpn-management';

export interface ConnectionHandlers {
  attached(): void;
  event(event: ManagementEvent): void;
  detached(reason: string): void;
}

/**
 * One OpenVPN instance's management socket, kept attached: on every close (OpenVPN restarted,
 * or not up yet) it attaches again after `reconnectMs`. While detached nobody is admitted:
 * with `management-client-auth`, OpenVPN waits for this manager's answer, and a client that
 * gets none gives up.
 */
export class ManagementConnection {
  private socket: Socket | undefined;
  private parser = new ManagementParser();
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly path: string,
    private readonly reconnectMs: number,
    private readonly handlers: ConnectionHandlers,
  ) {}

  start(): void {
    this.stopped = false;
    this.attach();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.socket?.destroy();
  }

  /** Sends a command; false when detached (the command is lost with the connection). */
  send(command: string): boolean {
    if (!this.socket || this.socket.destroyed || !this.socket.writable) return false;
    this.socket.write(command);
    return true;
  }

  /** Sends `status 3`, whose answer comes as one `block` event. */
  askClientList(): boolean {
    if (!this.send('status 3\n')) return false;
    this.parser.expectBlock();
    return true;
  }

  private attach(): void {
    if (this.stopped) return;
    const socket = createConnection(this.path);
    this.socket = socket;
    this.parser = new ManagementParser();
    socket.setEncoding('utf8');
    socket.on('connect', () => this.handlers.attached());
    socket.on('data', (chunk: string) => {
      for (const event of this.parser.feed(chunk)) this.handlers.event(event);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket === socket) this.socket = undefined;
      this.handlers.detached('management socket closed');
      if (!this.stopped) this.retry = setTimeout(() => this.attach(), this.reconnectMs);
    });
  }
}
