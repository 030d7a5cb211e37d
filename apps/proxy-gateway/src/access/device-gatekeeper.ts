import { directUdpExit } from '../udp/direct-udp-exit';
import { directDialer, directTunnelDialer } from '../upstream/direct-dialer';
import { AccessRefused, type Gatekeeper, type Grant } from './gatekeeper';

/**
 * The gateway playing a phone: like the phone's own proxies, it takes every connection and sends
 * it straight out, through the direct dialer's destination policy.
 */
export class DeviceGatekeeper implements Gatekeeper {
  private readonly grant: Grant;
  readonly problem = undefined;
  readonly warmConnections = 0;

  constructor(allowed: readonly string[], connectTimeoutMs: number) {
    this.grant = {
      accountId: undefined,
      deviceId: undefined,
      tunnel: directTunnelDialer(allowed, connectTimeoutMs),
      dial: directDialer(allowed, connectTimeoutMs),
      udp: directUdpExit(allowed),
    };
  }

  async login(): Promise<Grant> {
    return this.grant;
  }

  mayOmitCredentials(): boolean {
    return true;
  }

  async admitTransparent(): Promise<Grant> {
    throw new AccessRefused('no-session', 'a device has no transparent clients');
  }

  async start(): Promise<void> {
    return undefined;
  }

  async stop(): Promise<void> {
    return undefined;
  }
}
