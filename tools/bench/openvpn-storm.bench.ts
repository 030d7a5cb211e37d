// A reconnect storm of OpenVPN customers, in script mode and in management mode, on the real
// parts (root): OpenVPN 2.6 rendered by `hook-cli server-config`, tunnel-api (SQLite, its
// firewall programming iptables in the relay's namespace), and real OpenVPN clients. One customer
// is connected first and pings the relay's tun address every 20 ms through its tunnel; then
// `clients` more connect at once. Per mode: how many were admitted, the time until all were, and
// the connected customer's ping during the storm (max and p99 RTT, pings lost). OpenVPN runs
// everything on one thread: whatever makes it wait freezes every tunnel. The OpenVPN server
// runs alone on core 0 (with its script hooks), everything else on core 1.
//
//   npx nx run-many -t build -p tunnel-api hook-cli
//   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/bench/openvpn-storm.bench.ts [clients=50]
import { storm } from '@tunnelgate/relay-lab';

const CLIENTS = Number(process.argv[2] ?? 50);

async function main(): Promise<void> {
  console.log(
    `OpenVPN storm: ${CLIENTS} customers connecting at once while one connected customer pings the relay every 20 ms`,
  );
  for (const mode of ['script', 'management'] as const) {
    const r = await storm(mode, CLIENTS);
    console.log(
      `  ${mode.padEnd(10)} admitted ${r.admitted}/${CLIENTS}, all in ${r.allUpMs.toFixed(0)} ms; ` +
        `connected customer's ping: max ${r.maxRtt.toFixed(1)} ms, p99 ${r.p99Rtt.toFixed(1)} ms, lost ${r.lost}/${r.sent}`,
    );
  }
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
