// Billing-grade usage on real processes (issue 19): two relays (the built tunnel-api and
// proxy-gateway each) sharing one real, persistent redis-server, one phone (a gateway in device
// mode) and an origin on loopback. Customers are HTTP CONNECT tunnels downloading from the origin.
// It reports:
//   - quota overshoot, at full loopback speed and at 5 MiB/s per tunnel, through 1 and 2 relays;
//   - the usage error (the store's total minus what the customers' connections really carried)
//     after two 30 s Redis outages, and after a tunnel-api crash and restart, during downloads;
//   - store operations (Redis commands) per GiB relayed, against the idle rate of the same run;
//   - proxy logins/s for one busy account, with the gateway's auth cache and without it (every
//     login a password check: what usage reports did to the cache before), and the password
//     checks tunnel-api made.
//
//   npx nx run-many -t build -p tunnel-api proxy-gateway
//   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/usage.bench.ts [outageSeconds=30] [sections]
import { PacedOrigin } from './usage/paced-origin';
import { PASSWORD, RelayLab, type Relay } from './usage/relays';
import { tunnelDownload, type Download } from './usage/tunnel-download';

const OUTAGE_MS = Number(process.argv[2] ?? 30) * 1000;
/** Some sections only, by name (comma-separated), for a quicker look. */
const ONLY = process.argv[3]?.split(',');
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const QUOTA = 50 * MiB;
const PACE = 5 * MiB;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (bytes: number) => (bytes / MiB).toFixed(2);

const lab = new RelayLab();
const origin = new PacedOrigin();

/** What the store billed an account, once the gateways' reports stopped changing it. */
async function settled(account: string): Promise<number> {
  let last = -1;
  for (;;) {
    // Longer than a report period (5 s) and a lease's release (5 s after the last tunnel).
    await sleep(6000);
    const used = await lab.usedBytes(account);
    if (used === last) return used;
    last = used;
  }
}

/** `perRelay` downloads through each of `relays` at once. */
function downloads(
  relays: Relay[],
  perRelay: number,
  account: string,
  size: number,
  rate: number,
): Promise<Download[]> {
  return Promise.all(
    relays.flatMap((relay) =>
      Array.from({ length: perRelay }, () =>
        tunnelDownload(relay.httpPort, account, PASSWORD, origin.port, size, rate),
      ),
    ),
  );
}

/** The billed total against what went through: tunnels' bytes (metered) or socket bytes. */
function carried(results: Download[], metered: boolean): number {
  return results.reduce((sum, r) => sum + (metered ? r.tunnelBytes : r.socketBytes), 0);
}

async function overshoot(): Promise<void> {
  console.log(
    `\nQuota overshoot: a ${mib(QUOTA)} MiB quota, two tunnels per relay, each asking for more`,
  );
  console.log(
    '  relays  speed            relayed (MiB)  overshoot (bytes)  billed (MiB)  cut at (s)',
  );
  for (const nodes of [1, 2]) {
    for (const rate of [0, PACE]) {
      const account = `quota-${nodes}-${rate}`;
      await lab.account(account, { quotaBytes: QUOTA });
      const t0 = performance.now();
      const results = await downloads(lab.relays.slice(0, nodes), 2, account, 200 * MiB, rate);
      const seconds = (performance.now() - t0) / 1000;
      const relayed = carried(results, true);
      const billed = await settled(account);
      console.log(
        `  ${String(nodes).padStart(6)}  ${(rate ? '5 MiB/s/tunnel' : 'full speed').padEnd(15)}  ${mib(relayed).padStart(13)}  ${String(relayed - QUOTA).padStart(17)}  ${mib(billed).padStart(12)}  ${seconds.toFixed(1).padStart(10)}`,
      );
    }
  }
}

/** Downloads through both relays for a metered and an unmetered account while `fault` runs. */
async function usageError(
  name: string,
  seconds: number,
  fault: () => Promise<void>,
): Promise<void> {
  const rate = 2 * MiB;
  const size = rate * seconds;
  const accounts = [
    { id: `${name.replaceAll(' ', '-')}-metered`, metered: true },
    { id: `${name.replaceAll(' ', '-')}-unmetered`, metered: false },
  ];
  for (const { id, metered } of accounts)
    await lab.account(id, metered ? { quotaBytes: 100 * GiB } : {});
  const running = accounts.map(({ id }) => downloads(lab.relays, 1, id, size, rate));
  const t0 = performance.now();
  await fault();
  const results = await Promise.all(running);
  const took = (performance.now() - t0) / 1000;
  for (const [{ id, metered }, through] of accounts.map((a, i) => [a, results[i] ?? []] as const)) {
    const complete = through.every((r) => r.status.startsWith('HTTP/1.1 200'));
    const expected = carried(through, metered);
    const billed = await settled(id);
    console.log(
      `  ${name.padEnd(18)} ${(metered ? 'metered' : 'unmetered').padEnd(10)} ${complete ? 'yes' : 'NO '}  ${mib(expected).padStart(13)}  ${mib(billed).padStart(12)}  ${String(billed - expected).padStart(11)}  ${took.toFixed(0).padStart(4)}`,
    );
  }
}

async function faults(): Promise<void> {
  console.log(
    `\nUsage error after faults: one 2 MiB/s download per relay per account, the store's total minus what the customers' connections carried`,
  );
  console.log('  fault              account    done  carried (MiB)  billed (MiB)  error (B)    s');
  const outages = OUTAGE_MS / 1000;
  await usageError('two Redis outages', 2 * outages + 25, async () => {
    await sleep(5000);
    await lab.redisOutage(OUTAGE_MS);
    await sleep(10_000);
    await lab.redisOutage(OUTAGE_MS);
  });
  await usageError('tunnel-api crash', 20, async () => {
    await sleep(5000);
    const relay = lab.first;
    await relay.crashApi();
    await sleep(3000);
    await relay.startApi();
  });
}

async function storeOps(): Promise<void> {
  console.log(
    '\nStore operations per GiB: 1 GiB at full speed, two tunnels per relay on two relays',
  );
  console.log('  account     Redis commands/GiB  idle commands/s  lease requests/GiB  s');
  const idleStart = lab.redisCommands();
  await sleep(10_000);
  const idlePerSecond = (lab.redisCommands() - idleStart) / 10;
  for (const metered of [true, false]) {
    const account = metered ? 'bulk-metered' : 'bulk';
    await lab.account(account, metered ? { quotaBytes: 100 * GiB } : {});
    const leases0 = await leaseRequests();
    const commands0 = lab.redisCommands();
    const t0 = performance.now();
    const results = await downloads(lab.relays, 2, account, GiB / 4, 0);
    const refused = results.filter((r) => !r.status.startsWith('HTTP/1.1 200'));
    if (refused.length) throw new Error(`refused: ${refused.map((r) => r.status).join(', ')}`);
    await settled(account);
    const seconds = (performance.now() - t0) / 1000;
    const gib = carried(results, metered) / GiB;
    const commands = lab.redisCommands() - commands0 - idlePerSecond * seconds;
    const leases = (await leaseRequests()) - leases0;
    console.log(
      `  ${(metered ? 'metered' : 'unmetered').padEnd(10)}  ${(commands / gib).toFixed(0).padStart(18)}  ${idlePerSecond.toFixed(1).padStart(15)}  ${(leases / gib).toFixed(1).padStart(18)}  ${seconds.toFixed(0)}`,
    );
  }
}

async function leaseRequests(): Promise<number> {
  let sum = 0;
  for (const relay of lab.relays)
    sum += await relay.counter('tunnelgate_gateway_byte_lease_requests_total', 'gateway');
  return sum;
}

/** `count` logins (CONNECT, answer, close), `parallel` at a time, through one gateway. */
async function logins(relay: Relay, account: string, count: number, parallel: number) {
  const checks0 = await relay.counter('tunnelgate_password_checks_total', 'api');
  let next = 0;
  let refused = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next++ < count) {
        const r = await tunnelDownload(relay.httpPort, account, PASSWORD, origin.port, 0);
        if (!r.status.startsWith('HTTP/1.1 200')) refused++;
      }
    }),
  );
  const perSecond = count / ((performance.now() - t0) / 1000);
  const checks = (await relay.counter('tunnelgate_password_checks_total', 'api')) - checks0;
  return { perSecond, checks, refused };
}

async function busyAccount(): Promise<void> {
  console.log('\nProxy logins/s for one busy account (new CONNECT tunnels through one relay)');
  await lab.account('busy');
  const uncached = await lab.addRelay({ TUNNELGATE_GATEWAY_AUTH_CACHE_MS: '0' });
  const rows = [
    ['auth cache (60 s)', await logins(lab.first, 'busy', 3000, 8)],
    // Logins that arrive together share one check even without the cache.
    ['no cache, 8 at a time', await logins(uncached, 'busy', 300, 8)],
    // Every login a password check: what a usage report did to the cache before (issue 19).
    ['no cache, 1 at a time', await logins(uncached, 'busy', 100, 1)],
  ] as const;
  console.log('  gateway                 logins/s  password checks  refused');
  for (const [name, r] of rows)
    console.log(
      `  ${name.padEnd(22)}  ${r.perSecond.toFixed(0).padStart(8)}  ${String(r.checks).padStart(15)}  ${String(r.refused).padStart(7)}`,
    );
  console.log(
    `  ratio, cached to every login checked: ${(rows[0][1].perSecond / rows[2][1].perSecond).toFixed(1)}x`,
  );
}

/**
 * A gateway SIGKILLed while it relays two paced downloads of an account limited to 2
 * connections: the bytes it had not reported (lost to billing), and how long until the other
 * relay may use the dead gateway's connection slots. Last: the relay stays dead.
 */
async function gatewayCrash(): Promise<void> {
  console.log('\nA gateway SIGKILLed during two 5 MiB/s downloads (maxConnections 2, metered)');
  const [survivor, victim] = lab.relays as [Relay, Relay];
  await lab.account('crash', { maxConnections: 2, quotaBytes: 100 * GiB });
  const running = downloads([victim], 2, 'crash', 200 * MiB, PACE);
  await sleep(3000);
  await victim.crashGateway();
  const killedAt = performance.now();
  const cut = await running;
  const both = () =>
    Promise.all(
      [0, 1].map(() =>
        tunnelDownload(survivor.httpPort, 'crash', PASSWORD, origin.port, 0).then((r) =>
          r.status.startsWith('HTTP/1.1 200'),
        ),
      ),
    );
  // Held, so both count against the limit at once.
  let slotsBackAfter = 0;
  for (;;) {
    const admitted = await both();
    if (admitted.every(Boolean)) {
      slotsBackAfter = (performance.now() - killedAt) / 1000;
      break;
    }
    await sleep(250);
  }
  const carriedBytes = carried(cut, true);
  const billed = await settled('crash');
  console.log(
    '  relayed (MiB)  billed (MiB)  unbilled (bytes)  both slots usable on the other relay after (s)',
  );
  console.log(
    `  ${mib(carriedBytes).padStart(13)}  ${mib(billed).padStart(12)}  ${String(carriedBytes - billed).padStart(16)}  ${slotsBackAfter.toFixed(1).padStart(46)}`,
  );
}

async function main(): Promise<void> {
  await origin.start();
  await lab.start(2);
  try {
    const sections = { overshoot, storeOps, faults, busyAccount, gatewayCrash };
    for (const [name, section] of Object.entries(sections))
      if (!ONLY || ONLY.includes(name)) await section();
  } finally {
    await lab.stop();
    await origin.close();
  }
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
