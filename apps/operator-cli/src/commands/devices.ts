import type { PublicDevice } from '@tunnelgate/sessions';
import type { Command, CommandOutput } from '../command';
import { parseInteger, UsageError } from '../output/format';
import { renderFields, renderTable, type Column } from '../output/table';

const columns: readonly Column<PublicDevice>[] = [
  ['id', (d) => d.id],
  ['name', (d) => d.name],
  ['vpn ip', (d) => d.vpnIp],
  ['status', (d) => d.status],
  ['http', (d) => String(d.httpPort)],
  ['socks5', (d) => String(d.socksPort)],
  ['public ports', (d) => (d.basePort === null ? '-' : `${d.basePort}-${d.basePort + 2}`)],
  ['last seen', (d) => d.lastSeenAt ?? 'never'],
];

function showDevice(device: PublicDevice): CommandOutput {
  return {
    json: device,
    text: renderFields([
      ...columns.map(([name, value]) => [name, value(device)] as const),
      ['udp', String(device.udpPort)],
      ['proxy credentials', device.hasProxyCredentials ? 'set' : 'none'],
    ]),
  };
}

const ports = ['http-port', 'socks-port', 'udp-port', 'base-port'] as const;
const portKey = {
  'http-port': 'httpPort',
  'socks-port': 'socksPort',
  'udp-port': 'udpPort',
  'base-port': 'basePort',
} as const;

export const deviceCommands: readonly Command[] = [
  {
    name: 'devices register',
    summary: 'Register a phone, or update it (every field is set again)',
    args: ['id'],
    options: {
      'vpn-ip': { type: 'string' },
      name: { type: 'string' },
      ...Object.fromEntries(ports.map((p) => [p, { type: 'string' as const }])),
    },
    optionHelp: [
      '--vpn-ip IP         its address on the device VPN (required)',
      '--name TEXT         what operators call it (default: the id)',
      '--http-port N       its HTTP proxy port (default 8080)',
      '--socks-port N      its SOCKS5 proxy port (default 1080)',
      '--udp-port N        its UDP relay port (default 1081)',
      '--base-port N       public ports N..N+2 DNATed to it (default: none)',
    ],
    async run({ api, arg, options }) {
      const vpnIp = options['vpn-ip'];
      if (typeof vpnIp !== 'string')
        throw new UsageError("devices register needs --vpn-ip IP: the phone's device VPN address");
      const given = Object.fromEntries(
        ports
          .filter((p) => typeof options[p] === 'string')
          .map((p) => [portKey[p], parseInteger(`--${p}`, options[p] as string)]),
      );
      const name = typeof options['name'] === 'string' ? options['name'] : arg('id');
      return showDevice(await api.upsertDevice(arg('id'), { name, vpnIp, ...given }));
    },
  },
  {
    name: 'devices list',
    summary: 'All devices, online or not',
    async run({ api }) {
      const devices = await api.listDevices();
      return { json: devices, text: renderTable(columns, devices) };
    },
  },
  {
    name: 'devices show',
    summary: 'One device',
    args: ['id'],
    run: async ({ api, arg }) => showDevice(await api.getDevice(arg('id'))),
  },
  {
    name: 'devices online',
    summary: 'Report a device alive now, as its own heartbeat does',
    args: ['id'],
    run: async ({ api, arg }) => showDevice(await api.reportDevice(arg('id'), 'heartbeat')),
  },
  {
    name: 'devices offline',
    summary: 'Mark a device offline now (its customers are refused until it reports in)',
    args: ['id'],
    run: async ({ api, arg }) => showDevice(await api.reportDevice(arg('id'), 'disconnected')),
  },
  {
    name: 'devices delete',
    summary: 'Forget a device',
    args: ['id'],
    async run({ api, arg }) {
      await api.deleteDevice(arg('id'));
      return { json: { deleted: arg('id') }, text: `deleted device ${arg('id')}` };
    },
  },
];
