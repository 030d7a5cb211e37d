import { writeFileSync } from 'node:fs';
import type { Command } from '../command';
import { renderFields } from '../output/table';

export const relayCommands: readonly Command[] = [
  {
    name: 'profile',
    summary: "Download an account's OpenVPN client profile (.ovpn; no credentials inside)",
    args: ['account'],
    options: { out: { type: 'string' } },
    optionHelp: ['--out FILE          write it to FILE (default: standard output)'],
    async run({ api, arg, options }) {
      const profile = await api.openvpnProfile(arg('account'));
      if (typeof options['out'] !== 'string') return { json: { profile }, text: profile.trimEnd() };
      writeFileSync(options['out'], profile, { mode: 0o644 });
      return {
        json: { written: options['out'] },
        text: `wrote ${options['out']}: connect with  openvpn --config ${options['out']}  (it asks for the account's username and password)`,
      };
    },
  },
  {
    name: 'status',
    summary: "Whether tunnel-api is ready: its store and the firewall's sync",
    async run({ api }) {
      const readiness = await api.readiness();
      return {
        json: readiness,
        text: renderFields([
          ['api', api.baseUrl],
          ['status', readiness.status],
          ['store', readiness.checks.store],
          ['firewall', readiness.checks.firewall],
        ]),
      };
    },
  },
];
