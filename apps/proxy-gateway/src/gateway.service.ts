import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { readSecretFile, type HostPort } from '@tunnelgate/config';
import { DeviceGatekeeper } from './access/device-gatekeeper';
import type { Gatekeeper } from './access/gatekeeper';
import { RelayGatekeeper } from './access/relay-gatekeeper';
import { AccessLog } from './access-log/access-log';
import { AdminServer } from './admin/admin-server';
import {
  InjectGatewayConfig,
  type GatewayConfig,
  type ListenerName,
} from './config/gateway.config';
import { ConnectionRegistry } from './connections/connection-registry';
import { TunnelApiClient } from '@tunnelgate/api-client';
import { RelayDirectory } from './control/relay-directory';
import { ByteAllowance } from './control/byte-allowance';
import { ConnectionSlots } from './control/connection-slots';
import { UsageMeter } from './control/usage-meter';
import { HttpProxyListener } from './listeners/http-proxy.listener';
import { Socks5Listener } from './listeners/socks5.listener';
import { TransparentListener } from './listeners/transparent.listener';
import { gatewayMetrics } from './metrics/gateway-metrics';

/** The open-files limit, which bounds how many tunnels (two descriptors each) the process can hold. */
function openFilesLimit(): { soft: string; hard: string } | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const [soft = '', hard = ''] = line?.slice('Max open files'.length).trim().split(/\s+/) ?? [];
    return { soft, hard };
  } catch {
    return undefined;
  }
}

/**
 * Binds a listener. Under the cluster (issue 23) each worker binds its own socket on the same
 * port (`reusePort`, SO_REUSEPORT) and the kernel spreads new connections over them, so no
 * primary process sits in the data path; `exclusive` keeps Node's cluster from routing the
 * listen through the primary instead.
 */
function listen(server: Server, at: HostPort): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const shared = cluster.isWorker;
    server.listen(
      { port: at.port, host: at.host, backlog: 4096, exclusive: shared, reusePort: shared },
      () => {
        server.off('error', reject);
        resolve(server.address() as AddressInfo);
      },
    );
  });
}

/**
 * The data plane: builds the gate (relay: accounts from tunnel-api; device: direct), opens the
 * listeners, and on shutdown stops accepting, lets live tunnels finish until the drain deadline,
 * closes the rest and reports the last usage.
 */
@Injectable()
export class GatewayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Gateway');
  readonly registry: ConnectionRegistry;
  readonly gate: Gatekeeper;
  private readonly servers = new Map<ListenerName, Server>();
  private readonly addresses = new Map<ListenerName, AddressInfo>();
  private transparent: TransparentListener | undefined;
  private httpProxy: HttpProxyListener | undefined;
  private api: TunnelApiClient | undefined;
  private readonly accessLog: AccessLog;

  constructor(
    @InjectGatewayConfig() private readonly config: GatewayConfig,
    admin: AdminServer,
  ) {
    const metrics = gatewayMetrics(admin.metrics, config.deviceMetricsMax);
    this.registry = new ConnectionRegistry(metrics);
    this.accessLog = new AccessLog(
      config.accessLog,
      config.usage.reporter,
      admin.metrics,
      (entry) => this.logger.warn(entry),
    );
    this.registry.onFinished = (tunnel) => this.accessLog.tunnel(tunnel);
    const log = (entry: Record<string, unknown>) => this.write(entry);
    if (config.mode === 'relay') {
      const token = readSecretFile('proxy-gateway', 'TUNNELGATE_API_TOKEN_FILE', config.tokenFile);
      this.api = new TunnelApiClient({
        baseUrl: config.apiUrl,
        token,
        timeoutMs: config.timeouts.connectMs,
        keepAlive: true,
      });
      const directory = new RelayDirectory(this.api, log);
      directory.on('recordSkipped', (kind) =>
        metrics.errors.inc({ kind: `watch_bad_${kind}_record` }),
      );
      const meter = new UsageMeter(this.api, directory, this.registry, config.usage, log);
      const allowance = new ByteAllowance(
        this.api,
        { holder: config.usage.reporter, ...config.leases },
        () => meter.flushNow(),
        log,
        (answer) => metrics.leaseRequests.inc({ answer }),
      );
      const registry = this.registry;
      const slots = new ConnectionSlots(
        this.api,
        config.usage.reporter,
        (accountId) => ({
          here: registry.countFor(accountId),
          openvpn: directory.openvpnSessionsOf(accountId),
        }),
        log,
      );
      this.gate = new RelayGatekeeper(
        directory,
        this.api,
        this.registry,
        meter,
        allowance,
        slots,
        config,
        log,
        (kind) => metrics.deviceDials.inc({ kind }),
      );
    } else {
      this.gate = new DeviceGatekeeper(config.directAllow, config.timeouts.connectMs);
    }
    admin.addReadinessCheck('upstream', () => this.gate.problem);
    metrics.countWarmConnections(() => this.gate.warmConnections);
    const { http, socks5, transparent } = config.listen;
    if (http) {
      this.httpProxy = new HttpProxyListener(
        config,
        this.gate,
        this.registry,
        metrics,
        this.accessLog,
      );
      this.servers.set('http', this.httpProxy.server);
    }
    if (socks5)
      this.servers.set(
        'socks5',
        new Socks5Listener(config, this.gate, this.registry, metrics).server,
      );
    if (transparent) {
      this.transparent = new TransparentListener(
        config,
        this.gate,
        this.registry,
        metrics,
        (entry) => this.logger.debug(entry),
      );
      this.servers.set('transparent', this.transparent.server);
    }
  }

  address(listener: ListenerName): AddressInfo | undefined {
    return this.addresses.get(listener);
  }

  async onApplicationBootstrap(): Promise<void> {
    const limit = openFilesLimit();
    if (limit && Number(limit.soft) < 65_536)
      this.logger.warn({ message: 'open files limit is low: each tunnel takes two', ...limit });
    await this.gate.start();
    for (const [name, server] of this.servers) {
      const at = this.config.listen[name];
      if (at) this.addresses.set(name, await listen(server, at));
    }
    this.transparent?.setOwnPorts([
      this.config.adminListen.port,
      ...[...this.addresses.values()].map((a) => a.port),
    ]);
    this.logger.log({
      message: 'gateway listening',
      mode: this.config.mode,
      ...Object.fromEntries(
        [...this.addresses].map(([name, a]) => [name, `${a.address}:${a.port}`]),
      ),
      openFiles: limit,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    for (const server of this.servers.values()) server.close();
    this.httpProxy?.closeKeptAlive();
    const open = await this.registry.drain(this.config.timeouts.drainMs);
    if (open > 0) this.logger.warn({ message: 'drain deadline: closing live tunnels', open });
    this.registry.closeWhere(() => true, 'draining');
    this.transparent?.close();
    await this.gate.stop();
    this.api?.close();
    await this.accessLog.close();
  }

  private write(entry: Record<string, unknown>): void {
    const { level, ...rest } = entry;
    if (level === 'error') this.logger.error(rest);
    else if (level === 'warn') this.logger.warn(rest);
    else if (level === 'debug') this.logger.debug(rest);
    else this.logger.log(rest);
  }
}
