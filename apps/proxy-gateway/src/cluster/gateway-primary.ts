import cluster, { type Worker } from 'node:cluster';
import type { Server } from 'node:http';
import type { LoggerService } from '@nestjs/common';
import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import { createAdminServer, listenAdmin, type Readiness } from '../admin/admin-handler';
import type { GatewayConfig } from '../config/gateway.config';
import { askReadiness, onWorkerUp } from './worker-channel';

/** The variable that tells a forked worker which slot it fills (and so its holder name). */
export const WORKER_INDEX_VARIABLE = 'TUNNELGATE_GATEWAY_WORKER_INDEX';

const READINESS_TIMEOUT_MS = 2000;
const FIRST_RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 30_000;
/** Beyond the workers' own drain deadline, before the primary kills what is left. */
const STOP_MARGIN_MS = 10_000;

interface Slot {
  worker: Worker;
  up: boolean;
  /** Deaths in a row of this slot's workers that never came up: the restart backoff. */
  failures: number;
}

/**
 * The gateway's primary process under the cluster (issue 23). It is not in the data path: each
 * worker binds the listeners itself (SO_REUSEPORT) and the kernel spreads connections over
 * them. The primary forks the workers, replaces one that dies (the others' tunnels are not
 * touched), serves the node's ops port (readiness of every worker, one /metrics summed over
 * them), and on SIGTERM/SIGINT drains them all before it exits.
 */
export class GatewayPrimary {
  private readonly slots = new Map<number, Slot>();
  private readonly aggregator = new AggregatorRegistry();
  private readonly ownMetrics = new Registry();
  private readonly restarts = new Counter({
    name: 'tunnelgate_gateway_worker_restarts_total',
    help: 'Gateway workers that died and were replaced',
    registers: [this.ownMetrics],
  });
  private readonly workersUp = new Gauge({
    name: 'tunnelgate_gateway_workers',
    help: 'Gateway workers accepting connections',
    registers: [this.ownMetrics],
  });
  private admin: Server | undefined;
  private stopping = false;
  private everUp = false;
  /** 1 once the node failed to start; a drain that ends exits 0. */
  private exitCode = 0;

  constructor(
    private readonly config: GatewayConfig,
    private readonly logger: LoggerService,
  ) {
    this.ownMetrics.setDefaultLabels({ app: 'proxy-gateway' });
  }

  async start(): Promise<void> {
    for (let index = 0; index < this.config.workers; index++) this.fork(index);
    this.admin = createAdminServer({
      readiness: () => this.readiness(),
      metrics: async () => ({
        contentType: this.aggregator.contentType,
        body: (await this.aggregator.clusterMetrics()) + (await this.ownMetrics.metrics()),
      }),
    });
    await listenAdmin(this.admin, this.config.adminListen);
    for (const signal of ['SIGTERM', 'SIGINT'] as const)
      process.on(signal, () => this.stop(signal));
    this.logger.log({
      message: 'gateway primary started',
      workers: this.config.workers,
      admin: this.admin.address(),
    });
  }

  private fork(index: number, failures = 0): void {
    const worker = cluster.fork({ [WORKER_INDEX_VARIABLE]: String(index) });
    const slot: Slot = { worker, up: false, failures };
    this.slots.set(index, slot);
    this.updateWorkersGauge();
    onWorkerUp(worker, () => {
      slot.up = true;
      slot.failures = 0;
      this.everUp = true;
      this.updateWorkersGauge();
    });
    worker.once('exit', (code, signal) => this.onExit(index, slot, code, signal));
  }

  private onExit(index: number, slot: Slot, code: number | null, signal: string | null): void {
    const dead = { worker: index, pid: slot.worker.process.pid, code, signal };
    if (this.slots.get(index) === slot) this.slots.delete(index);
    this.updateWorkersGauge();
    if (this.stopping) {
      if (this.slots.size === 0) this.finish();
      return;
    }
    if (!slot.up && !this.everUp) {
      // Not one worker came up: a port taken, a bad file; restarting would only loop.
      this.logger.error({ message: 'gateway worker failed to start: stopping', ...dead });
      this.stopping = true;
      this.exitCode = 1;
      for (const other of this.slots.values()) other.worker.process.kill('SIGTERM');
      if (this.slots.size === 0) this.finish();
      return;
    }
    const failures = slot.up ? 0 : slot.failures + 1;
    const delayMs = Math.min(FIRST_RESTART_DELAY_MS * 2 ** failures, MAX_RESTART_DELAY_MS);
    this.logger.error({ message: 'gateway worker died: replacing it', delayMs, ...dead });
    this.restarts.inc();
    setTimeout(() => {
      if (!this.stopping) this.fork(index, failures);
    }, delayMs);
  }

  /** Ready when every worker that is accepting is ready, and there is at least one. */
  private async readiness(): Promise<Readiness> {
    const up = [...this.slots.entries()].filter(([, slot]) => slot.up);
    const checks: Record<string, string> = {
      workers: this.stopping
        ? 'draining'
        : up.length > 0
          ? 'ok'
          : `none of ${this.config.workers} accepting yet`,
    };
    const answers = await Promise.all(
      up.map(([index, slot]) =>
        askReadiness(slot.worker, READINESS_TIMEOUT_MS).then((answer) => ({ index, answer })),
      ),
    );
    for (const { index, answer } of answers) {
      if (!answer) checks[`worker ${index}`] = 'did not answer';
      else
        for (const [name, value] of Object.entries(answer.checks))
          if (value !== 'ok') checks[`worker ${index}: ${name}`] = value;
    }
    return { ready: Object.values(checks).every((value) => value === 'ok'), checks };
  }

  private updateWorkersGauge(): void {
    this.workersUp.set([...this.slots.values()].filter((slot) => slot.up).length);
  }

  private stop(signal: NodeJS.Signals): void {
    if (this.stopping) {
      this.logger.warn?.({ message: 'second signal: killing the workers', signal });
      for (const slot of this.slots.values()) slot.worker.process.kill('SIGKILL');
      process.exit(1);
    }
    this.stopping = true;
    this.logger.log({ message: 'shutting down: draining the workers', signal });
    for (const slot of this.slots.values()) slot.worker.process.kill('SIGTERM');
    setTimeout(() => {
      this.logger.error({ message: 'workers did not stop in time: killing them' });
      for (const slot of this.slots.values()) slot.worker.process.kill('SIGKILL');
      process.exit(1);
    }, this.config.timeouts.drainMs + STOP_MARGIN_MS).unref();
    if (this.slots.size === 0) this.finish();
  }

  private finish(): void {
    const exit = () => process.exit(this.exitCode);
    if (this.admin) this.admin.close(exit);
    else exit();
  }
}
