import type { Socket } from 'node:net';

/**
 * What the client sends first, if it sends within `waitMs`: the first chunk, or nothing for a
 * client that waits for the server to speak. The socket is left paused, its bytes unread beyond
 * the chunk returned.
 */
export function firstBytes(socket: Socket, waitMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const finish = (chunk?: Buffer) => {
      clearTimeout(timer);
      socket.off('data', finish);
      socket.off('end', onEnd);
      socket.pause();
      resolve(chunk);
    };
    const onEnd = () => finish();
    const timer = setTimeout(finish, waitMs);
    socket.once('data', finish);
    socket.once('end', onEnd);
    socket.resume();
  });
}
