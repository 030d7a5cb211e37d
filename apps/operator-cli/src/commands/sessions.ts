import type { ClientSession } from '@tunnelgate/sessions';
import type { Command } from '../command';
import { formatBytes } from '../output/format';
import { renderFields, renderTable, type Column } from '../output/table';

const columns: readonly Column<ClientSession>[] = [
  ['id', (s) => s.id],
  ['account', (s) => s.accountId],
  ['username', (s) => s.username],
  ['vpn ip', (s) => s.vpnIp],
  ['from', (s) => `${s.realIp}:${s.realPort}`],
  ['device', (s) => s.deviceId],
  ['connected', (s) => s.connectedAt],
  ['state', (s) => (s.closeReason ? `${s.state} (${s.closeReason})` : s.state)],
];

export const sessionCommands: readonly Command[] = [
  {
    name: 'sessions list',
    summary: "OpenVPN customers' active sessions",
    options: { account: { type: 'string' }, device: { type: 'string' } },
    optionHelp: ['--account ID        only this account', '--device ID         only this device'],
    async run({ api, options }) {
      const sessions = await api.listSessions({
        ...(typeof options['account'] === 'string' && { accountId: options['account'] }),
        ...(typeof options['device'] === 'string' && { deviceId: options['device'] }),
      });
      return { json: sessions, text: renderTable(columns, sessions) };
    },
  },
  {
    name: 'sessions kick',
    summary: 'End a session now: its firewall rule goes and the gateway closes its connections',
    args: ['id'],
    async run({ api, arg }) {
      const session = await api.kickSession(arg('id'));
      return {
        json: session,
        text: renderFields([
          ...columns.map(([name, value]) => [name, value(session)] as const),
          ['bytes in/out', `${formatBytes(session.bytesIn)} / ${formatBytes(session.bytesOut)}`],
        ]),
      };
    },
  },
];
