import { randomBytes } from 'node:crypto';
import type { PublicAccount } from '@tunnelgate/sessions';
import type { Command, CommandInput, CommandOutput } from '../command';
import { formatBytes, list, parseBytes, parseInteger, UsageError } from '../output/format';
import { renderFields, renderTable, type Column } from '../output/table';

const columns: readonly Column<PublicAccount>[] = [
  ['id', (a) => a.id],
  ['username', (a) => a.username],
  ['device', (a) => a.deviceId],
  ['protocols', (a) => a.protocols.join(',')],
  ['used', (a) => formatBytes(a.usedBytes)],
  ['quota', (a) => formatBytes(a.quotaBytes)],
  ['max conns', (a) => (a.maxConnections === null ? 'unlimited' : String(a.maxConnections))],
  ['enabled', (a) => (a.enabled ? 'yes' : 'no')],
];

function showAccount(account: PublicAccount): CommandOutput {
  return {
    json: account,
    text: renderFields([
      ...columns.map(([name, value]) => [name, value(account)] as const),
      ['source whitelist', account.cidrWhitelist.join(', ') || '(any)'],
      ['created', account.createdAt],
      ['updated', account.updatedAt],
    ]),
  };
}

/** From stdin (scripts, no trace in shell history or /proc), else a fresh random one. */
async function passwordOf(input: CommandInput): Promise<{ password: string; generated: boolean }> {
  if (input.options['password-stdin']) {
    const password = (await input.readStdin()).replace(/\r?\n$/, '');
    return { password, generated: false };
  }
  return { password: randomBytes(12).toString('base64url'), generated: true };
}

function withPassword(
  shown: CommandOutput,
  { password, generated }: { password: string; generated: boolean },
): CommandOutput {
  if (!generated) return shown;
  return {
    json: { ...(shown.json as object), password },
    text: `${shown.text}\npassword:         ${password}  (shown once: the relay keeps only its hash)`,
  };
}

const passwordHelp = '--password-stdin    read the password from stdin (default: generate one)';

export const accountCommands: readonly Command[] = [
  {
    name: 'accounts create',
    summary: 'Create a customer account bound to a device (its phone)',
    args: ['username'],
    options: {
      device: { type: 'string' },
      id: { type: 'string' },
      protocols: { type: 'string' },
      quota: { type: 'string' },
      'max-connections': { type: 'string' },
      whitelist: { type: 'string' },
      disabled: { type: 'boolean' },
      'password-stdin': { type: 'boolean' },
    },
    optionHelp: [
      '--device ID         the device its traffic leaves through (required)',
      '--id ID             the account id (default: generated)',
      '--protocols LIST    http,socks5,openvpn (default: all three)',
      '--quota SIZE        bytes it may use, e.g. 10GB (default: unlimited)',
      '--max-connections N concurrent connections (default: unlimited)',
      '--whitelist CIDRS   source addresses allowed, comma-separated (default: any)',
      '--disabled          create it disabled',
      passwordHelp,
    ],
    async run(input) {
      const { options } = input;
      if (typeof options['device'] !== 'string')
        throw new UsageError(
          'accounts create needs --device ID: the device its traffic leaves through (devices list shows them)',
        );
      const secret = await passwordOf(input);
      const account = await input.api.createAccount({
        username: input.arg('username'),
        password: secret.password,
        deviceId: options['device'],
        ...(typeof options['id'] === 'string' && { id: options['id'] }),
        ...(typeof options['protocols'] === 'string' && {
          protocols: list(options['protocols']) as PublicAccount['protocols'],
        }),
        ...(typeof options['quota'] === 'string' && { quotaBytes: parseBytes(options['quota']) }),
        ...(typeof options['max-connections'] === 'string' && {
          maxConnections: parseInteger('--max-connections', options['max-connections']),
        }),
        ...(typeof options['whitelist'] === 'string' && {
          cidrWhitelist: list(options['whitelist']),
        }),
        ...(options['disabled'] === true && { enabled: false }),
      });
      return withPassword(showAccount(account), secret);
    },
  },
  {
    name: 'accounts list',
    summary: 'All accounts',
    async run({ api }) {
      const accounts = await api.allAccounts();
      return { json: accounts, text: renderTable(columns, accounts) };
    },
  },
  {
    name: 'accounts show',
    summary: 'One account',
    args: ['id'],
    run: async ({ api, arg }) => showAccount(await api.getAccount(arg('id'))),
  },
  {
    name: 'accounts password',
    summary: 'Set a new password (open sessions keep theirs until they reconnect)',
    args: ['id'],
    options: { 'password-stdin': { type: 'boolean' } },
    optionHelp: [passwordHelp],
    async run(input) {
      const secret = await passwordOf(input);
      const account = await input.api.setPassword(input.arg('id'), secret.password);
      return withPassword(showAccount(account), secret);
    },
  },
  {
    name: 'accounts disable',
    summary: 'Disable an account: its sessions end and it can no longer log in',
    args: ['id'],
    run: async ({ api, arg }) =>
      showAccount(await api.updateAccount(arg('id'), { enabled: false })),
  },
  {
    name: 'accounts enable',
    summary: 'Enable a disabled account',
    args: ['id'],
    run: async ({ api, arg }) => showAccount(await api.updateAccount(arg('id'), { enabled: true })),
  },
  {
    name: 'accounts usage',
    summary: 'Bytes used against the quota, and open OpenVPN sessions',
    args: ['id'],
    async run({ api, arg }) {
      const usage = await api.accountUsage(arg('id'));
      return {
        json: usage,
        text: renderFields([
          ['used', formatBytes(usage.usedBytes)],
          ['quota', formatBytes(usage.quotaBytes)],
          [
            'left',
            usage.quotaBytes === null
              ? 'unlimited'
              : formatBytes(Math.max(0, usage.quotaBytes - usage.usedBytes)),
          ],
          ['openvpn sessions', String(usage.activeSessions)],
        ]),
      };
    },
  },
  {
    name: 'accounts reset',
    summary: 'Reset the used-bytes counter to 0 (a new billing period)',
    args: ['id'],
    run: async ({ api, arg }) => showAccount(await api.resetUsage(arg('id'))),
  },
  {
    name: 'accounts delete',
    summary: 'Delete an account and end its sessions',
    args: ['id'],
    async run({ api, arg }) {
      await api.deleteAccount(arg('id'));
      return { json: { deleted: arg('id') }, text: `deleted account ${arg('id')}` };
    },
  },
];
