import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { InjectTunnelApiConfig, type TunnelApiConfig } from '../config/tunnel-api.config';
import { ApiError } from '../http/api-error';
import { InjectMetrics, type MetricsRegistry } from '../metrics/metrics.module';

/** Who waits in which line: OpenVPN customers and known user+address pairs go first. */
export type CheckLane = 'priority' | 'normal';

interface Waiting {
  run: () => void;
}

/**
 * Bounds the password hashes tunnel-api computes at once (each argon2 check holds ~19 MiB and a
 * libuv thread for ~50 ms) and how many may wait: a check that would wait behind a full line is
 * refused at once with AUTH_BUSY (503), instead of every login timing out behind a flood. The
 * priority line is served first, so a flood of unknown logins cannot starve OpenVPN customers
 * or the customers who logged in from the same address before.
 */
@Injectable()
export class PasswordCheckQueue {
  private running = 0;
  private readonly lines: Record<CheckLane, Waiting[]> = { priority: [], normal: [] };
  private readonly bounds: Record<CheckLane, number>;
  private readonly checks: Counter<'lane' | 'outcome'>;

  constructor(
    @InjectTunnelApiConfig() private readonly config: TunnelApiConfig,
    @InjectMetrics() registry: MetricsRegistry,
  ) {
    this.bounds = { priority: config.auth.queue * 8, normal: config.auth.queue };
    this.checks = new Counter({
      name: 'tunnelgate_password_checks_total',
      help: 'Password checks by queue lane: checked (a hash computed) or shed (the line was full).',
      labelNames: ['lane', 'outcome'],
      registers: [registry],
    });
  }

  async run<T>(lane: CheckLane, check: () => Promise<T>): Promise<T> {
    if (this.running >= this.config.auth.concurrency) {
      const line = this.lines[lane];
      if (line.length >= this.bounds[lane]) {
        this.checks.inc({ lane, outcome: 'shed' });
        throw new ApiError('AUTH_BUSY', 'too many logins being checked right now; retry shortly');
      }
      await new Promise<void>((run) => line.push({ run }));
    } else this.running++;
    this.checks.inc({ lane, outcome: 'checked' });
    try {
      return await check();
    } finally {
      const next = this.lines.priority.shift() ?? this.lines.normal.shift();
      // The slot passes straight to the next in line; it is freed only when nobody waits.
      if (next) next.run();
      else this.running--;
    }
  }
}
