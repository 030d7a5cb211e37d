// Time to first byte over slow links (issue 22), root only: a customer, the relay and a phone in
// three network namespaces joined by delay lines (customer↔relay RTTc, relay↔phone RTTd; this
// kernel has no netem), the built tunnel-api and proxy-gateway on the relay, a gateway in device
// mode as the phone, the origin behind it. Each path is measured with the gateway's earlier
// behaviour (no warm connections, no pipelining, a silent client waits out the peek) and its
// current one, in the same run, against the ideal: the customer's own round trips to the relay
// (its handshakes) and one round trip through the phone. Also the relay gateway's own CPU per new
// tunnel (from /proc, pool refills included, its idle
// rate subtracted).
//
//   npx nx run-many -t build -p tunnel-api proxy-gateway
//   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/ttfb.bench.ts [samples=20] [rttc=20] [rttd=80]
import { join } from 'node:path';
import { cpuNs } from './proxy/peers';
import { ADDRESSES, SlowLinksLab } from './ttfb/slow-links-lab';

const SAMPLES = Number(process.argv[2] ?? 20);
const CUSTOMER_RTT = Number(process.argv[3] ?? 20);
const DEVICE_RTT = Number(process.argv[4] ?? 80);
const WARMUP = 3;
const CPU_TUNNELS = 300;
const CPU_PARALLEL = 20;

type Path = 'http-connect' | 'socks5' | 'transparent' | 'silent';
const PATHS: Path[] = ['http-connect', 'socks5', 'transparent', 'silent'];
/** The customer's round trips to the relay before its request can leave: TCP, then its proxy
 * handshake (CONNECT; SOCKS5 greeting, authentication and request), then the request itself. */
const CUSTOMER_ROUND_TRIPS: Record<Path, number> = {
  'http-connect': 3,
  socks5: 5,
  transparent: 2,
  silent: 2,
};

const BEHAVIOURS = {
  earlier: {
    TUNNELGATE_GATEWAY_POOL_MAX: '0',
    TUNNELGATE_GATEWAY_PIPELINE: 'off',
    TUNNELGATE_GATEWAY_PEEK_SILENT_MS: '200',
    TUNNELGATE_GATEWAY_PEEK_PORTS: 'all',
  },
  current: {},
} as const;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

interface Measured {
  ttfb: number;
  cpuUs: number;
  failures: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function customer(lab: SlowLinksLab, path: Path, count: number, parallel = 1) {
  const result = await lab.customer.run(
    'node',
    [
      join(__dirname, 'ttfb/customer.js'),
      path,
      String(count),
      ADDRESSES.relayCustomerSide,
      ADDRESSES.origin,
      'alice:correct horse',
      String(parallel),
    ],
    300_000,
  );
  return JSON.parse(result.stdout.trim()) as { samples: number[]; failures: string[] };
}

/**
 * TTFB: new connections one at a time. CPU: a burst of new tunnels, `CPU_PARALLEL` at a time,
 * less what the gateway burns idle (its timers, reports) over as long, measured just before.
 */
async function measure(lab: SlowLinksLab, path: Path, pid: number): Promise<Measured> {
  await customer(lab, path, WARMUP);
  const { samples, failures } = await customer(lab, path, SAMPLES);
  const idle0 = cpuNs(pid);
  const idleStart = performance.now();
  await sleep(2000);
  const idlePerMs = (cpuNs(pid) - idle0) / (performance.now() - idleStart);
  const busy0 = cpuNs(pid);
  const busyStart = performance.now();
  const burst = await customer(lab, path, CPU_TUNNELS, CPU_PARALLEL);
  const busyNs = cpuNs(pid) - busy0 - idlePerMs * (performance.now() - busyStart);
  const cpuUs = busyNs / Math.max(1, burst.samples.length) / 1000;
  return { ttfb: median(samples), cpuUs, failures: [...failures, ...burst.failures] };
}

async function main(): Promise<void> {
  const lab = await new SlowLinksLab().start(CUSTOMER_RTT, DEVICE_RTT);
  try {
    const rttc = lab.rtt(lab.customer, ADDRESSES.relayCustomerSide);
    const rttd = lab.rtt(lab.relay, ADDRESSES.phone);
    console.log(
      `TTFB, median of ${SAMPLES} new connections per row: RTTc ${rttc.toFixed(1)} ms (customer-relay), RTTd ${rttd.toFixed(1)} ms (relay-phone), ping medians`,
    );
    console.log(
      '  path           phone   ideal | earlier: TTFB  added RTTd  CPU µs | current: TTFB  added RTTd  CPU µs',
    );
    for (const deviceProxy of ['http', 'socks5'] as const) {
      const results: Record<string, Record<Path, Measured>> = {};
      for (const [name, env] of Object.entries(BEHAVIOURS)) {
        const pid = await lab.startGateway({ deviceProxy, env });
        const byPath = {} as Record<Path, Measured>;
        for (const path of PATHS) {
          byPath[path] = await measure(lab, path, pid);
          if (byPath[path].failures.length) console.log(lab.gatewayLog.slice(-3000));
        }
        results[name] = byPath;
      }
      // The HTTP CONNECT path once more with its 200 sent before the device answers (an
      // operator's choice: refusals become resets), next to the default.
      const earlyPid = await lab.startGateway({
        deviceProxy,
        env: { TUNNELGATE_GATEWAY_CONNECT_ANSWER: 'early' },
      });
      const earlyConnect = await measure(lab, 'http-connect', earlyPid);
      for (const path of PATHS) {
        const ideal = CUSTOMER_ROUND_TRIPS[path] * rttc + rttd;
        const cells = Object.keys(BEHAVIOURS).map((name) => {
          const m = results[name]?.[path];
          if (!m) return '';
          const added = (m.ttfb - ideal) / rttd;
          const failed = m.failures.length
            ? ` (${m.failures.length} failed: ${m.failures[0]})`
            : '';
          return `${m.ttfb.toFixed(0).padStart(13)}  ${added.toFixed(2).padStart(10)}  ${m.cpuUs.toFixed(0).padStart(6)}${failed}`;
        });
        console.log(
          `  ${path.padEnd(13)}  ${deviceProxy.padEnd(6)}  ${ideal.toFixed(0).padStart(5)} | ${cells.join(' | ')}`,
        );
      }
      const ideal = CUSTOMER_ROUND_TRIPS['http-connect'] * rttc + rttd;
      console.log(
        `  http-connect, 200 at once (CONNECT_ANSWER=early)  ${deviceProxy.padEnd(6)}  ${ideal.toFixed(0)}: TTFB ${earlyConnect.ttfb.toFixed(0)}, added ${((earlyConnect.ttfb - ideal) / rttd).toFixed(2)} RTTd, CPU ${earlyConnect.cpuUs.toFixed(0)} µs${earlyConnect.failures.length ? ` (${earlyConnect.failures.length} failed)` : ''}`,
      );
    }
  } finally {
    await lab.stopGateway();
    lab.remove();
  }
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
