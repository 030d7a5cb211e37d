import { ConfigError, readSecretFile, type Env } from '@tunnelgate/config';
import { ClientManager } from './client-manager';
import { ManagementConnection } from './management-connection';
import { parseManageConfig } from './manage-config';

function log(line: Record<string, unknown>): void {
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), app: 'hook-cli', mode: 'manage', ...line })}\n`,
  );
}

/**
 * `hook-cli manage`: answers every client of one OpenVPN instance over its management
 * interface, until SIGTERM or SIGINT. Resolves with the exit code.
 */
export async function runManager(env: Env): Promise<number> {
  let config;
  let token: string;
  try {
    config = parseManageConfig(env);
    token = readSecretFile('hook-cli', 'TUNNELGATE_API_TOKEN_FILE', config.tokenFile);
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
    return 1;
  }
  let manager: ClientManager | undefined = undefined;
  const connection = new ManagementConnection(config.socket, config.reconnectMs, {
    attached: () => {
      log({ level: 'info', message: 'attached', socket: config.socket });
      // Straight away: after a restart of OpenVPN (or of this manager) sessions may be stale.
      askClientList();
    },
    event: (event) => manager?.handle(event),
    detached: (reason) => {
      manager?.detached();
      log({ level: 'warn', message: 'detached; attaching again', reason });
    },
  });
  manager = new ClientManager(config, token, (command) => connection.send(command), log);
  const askClientList = () => {
    if (connection.askClientList()) manager?.listAsked();
  };
  connection.start();
  const reconcile = setInterval(askClientList, config.reconcileMs);
  return new Promise((resolve) => {
    const stop = () => {
      clearInterval(reconcile);
      connection.stop();
      resolve(0);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
