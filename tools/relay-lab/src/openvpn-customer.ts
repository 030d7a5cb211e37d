import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Netns } from '@tunnelgate/netns-testing';
import { LabProcess } from './lab-process';

export type ConnectOutcome = 'connected' | 'rejected';

/**
 * A customer's real OpenVPN client in its own namespace, with the profile tunnel-api serves and
 * the account's credentials in a file (the profile itself carries none).
 */
export class OpenvpnCustomer {
  readonly client: LabProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'tg-e2e-customer-'));

  constructor(
    readonly ns: Netns,
    readonly username: string,
    password: string,
    profile: string,
  ) {
    writeFileSync(join(this.dir, 'profile.ovpn'), profile);
    writeFileSync(join(this.dir, 'credentials'), `${username}\n${password}\n`, { mode: 0o600 });
    this.client = new LabProcess(
      `openvpn client ${username}`,
      ns,
      'openvpn',
      [
        '--config',
        join(this.dir, 'profile.ovpn'),
        '--auth-user-pass',
        join(this.dir, 'credentials'),
      ],
      {},
    );
  }

  /** Starts the client and answers once it is either routed through the relay or turned away. */
  async connect(): Promise<ConnectOutcome> {
    this.start();
    return this.outcome();
  }

  start(): void {
    this.client.start();
  }

  /** Waits (up to 40 s: two hook attempts take 11 s at most) for the server's verdict. */
  async outcome(): Promise<ConnectOutcome> {
    await this.client.waitForOutput(/Initialization Sequence Completed|AUTH_FAILED/, 0, 400);
    return this.client.output.includes('Initialization Sequence Completed')
      ? 'connected'
      : 'rejected';
  }

  /** The VPN IP the server gave it. */
  vpnIp(): string {
    const match = /inet (\d+\.\d+\.\d+\.\d+)\//.exec(
      this.ns.exec('ip', ['-4', 'addr', 'show', 'dev', 'tun0']),
    );
    if (!match?.[1]) throw new Error(`${this.username} has no VPN address`);
    return match[1];
  }

  /** Ends the session as a customer closing the app does: SIGTERM, exit notified to the server. */
  async disconnect(): Promise<void> {
    await this.client.stop();
  }

  async remove(): Promise<void> {
    await this.client.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
