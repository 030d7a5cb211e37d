import { seededRandom } from '@tunnelgate/sessions/testing';
import {
  clientAuth,
  clientDeny,
  clientKill,
  ManagementParser,
  parseClientList,
  quoteArgument,
  type ManagementEvent,
} from '../src';

/** What OpenVPN 2.6.14 said to a manager with management-client-auth (captured here). */
const TRANSCRIPT = [
  ">INFO:OpenVPN Management Interface Version 5 -- type 'help' for more info",
  '>HOLD:Waiting for hold release:0',
  'SUCCESS: hold release succeeded',
  '>CLIENT:CONNECT,0,1',
  '>CLIENT:ENV,n_clients=0',
  '>CLIENT:ENV,password=secret pass',
  '>CLIENT:ENV,untrusted_port=37783',
  '>CLIENT:ENV,untrusted_ip=192.0.2.2',
  '>CLIENT:ENV,username=alice',
  '>CLIENT:ENV,IV_VER=2.6.14',
  '>CLIENT:ENV,ifconfig_local=10.9.0.1',
  '>CLIENT:ENV,END',
  'SUCCESS: client-auth command succeeded',
  '>CLIENT:ADDRESS,0,10.9.0.77,1',
  '>CLIENT:ESTABLISHED,0',
  '>CLIENT:ENV,ifconfig_pool_remote_ip=10.9.0.77',
  '>CLIENT:ENV,time_unix=1796165831',
  '>CLIENT:ENV,common_name=alice',
  '>CLIENT:ENV,END',
  '>BYTECOUNT_CLI:0,1095,2007',
].join('\r\n');

const STATUS_3 = [
  'TITLE\tOpenVPN 2.6.14 x86_64-pc-linux-gnu',
  'TIME\t2026-12-01 22:57:15\t1796165835',
  'HEADER\tCLIENT_LIST\tCommon Name\tReal Address\tVirtual Address\tVirtual IPv6 Address\tBytes Received\tBytes Sent\tConnected Since\tConnected Since (time_t)\tUsername\tClient ID\tPeer ID\tData Channel Cipher',
  'CLIENT_LIST\talice\t192.0.2.2:37783\t10.9.0.77\t\t1095\t2007\t2026-12-01 22:57:11\t1796165831\talice\t0\t0\tAES-256-GCM',
  'HEADER\tROUTING_TABLE\tVirtual Address\tCommon Name\tReal Address\tLast Ref\tLast Ref (time_t)',
  'ROUTING_TABLE\t10.9.0.77\talice\t192.0.2.2:37783\t2026-12-01 22:57:12\t1796165832',
  'GLOBAL_STATS\tMax bcast/mcast queue length\t1',
  'END',
];

const env = (event: ManagementEvent | undefined) =>
  event && 'env' in event ? Object.fromEntries(event.env.values) : undefined;

describe('ManagementParser', () => {
  it("reads OpenVPN 2.6's own words: a CONNECT with its environment, the address, ESTABLISHED, counters", () => {
    const events = new ManagementParser().feed(`${TRANSCRIPT}\r\n`);
    expect(events.map((e) => e.kind)).toEqual([
      'info',
      'hold',
      'reply',
      'client-auth-request',
      'reply',
      'client-address',
      'client-established',
      'client-bytecount',
    ]);
    expect(events[3]).toMatchObject({ event: 'CONNECT', cid: 0, kid: 1 });
    expect(env(events[3])).toMatchObject({
      username: 'alice',
      password: 'secret pass',
      untrusted_ip: '192.0.2.2',
    });
    // What the CONNECT does not carry: the pool address, which the manager must choose.
    expect(env(events[3])).not.toHaveProperty('ifconfig_pool_remote_ip');
    expect(events[5]).toEqual({
      kind: 'client-address',
      cid: 0,
      address: '10.9.0.77',
      primary: true,
    });
    expect(env(events[6])).toMatchObject({ ifconfig_pool_remote_ip: '10.9.0.77' });
    expect(events[7]).toEqual({ kind: 'client-bytecount', cid: 0, bytesIn: 1095, bytesOut: 2007 });
  });

  it('gives the same events whatever the chunks, down to one byte at a time', () => {
    const whole = new ManagementParser().feed(`${TRANSCRIPT}\n`);
    const parser = new ManagementParser();
    const bytewise = [...`${TRANSCRIPT}\n`].flatMap((char) => parser.feed(char));
    expect(bytewise).toEqual(whole);
  });

  it('reads a status 3 answer as a block, and its client list', () => {
    const parser = new ManagementParser();
    parser.expectBlock();
    const [block] = parser.feed(`${STATUS_3.join('\n')}\n`);
    expect(block?.kind).toBe('block');
    const clients = parseClientList(block?.kind === 'block' ? block.lines : []);
    expect(clients).toEqual([
      {
        commonName: 'alice',
        realAddress: '192.0.2.2:37783',
        virtualAddress: '10.9.0.77',
        bytesReceived: 1095,
        bytesSent: 2007,
        connectedSinceUnix: 1796165831,
        username: 'alice',
        cid: 0,
      },
    ]);
    expect(parseClientList(['CLIENT_LIST\tno header'])).toEqual([]);
    // Two asked for at once: two blocks, in order, with a notification between them.
    parser.expectBlock();
    parser.expectBlock();
    const two = parser.feed(`TITLE\ta\nEND\n>CLIENT:ADDRESS,1,10.9.0.9,1\nTITLE\tb\nEND\n`);
    expect(two.map((e) => e.kind)).toEqual(['block', 'client-address', 'block']);
    expect(two[2]).toEqual({ kind: 'block', lines: ['TITLE\tb'] });
  });

  it('answers garbage, truncation and floods with events, never an exception', () => {
    const parser = new ManagementParser({
      maxLineBytes: 1024,
      maxEnvEntries: 8,
      maxBlockLines: 10,
    });
    const events = [
      ...parser.feed('hello there\n>CLIENT:CONNECT,x,1\n>CLIENT:ENV,a=b\n>CLIENT:ESTABLISHED,\n'),
      ...parser.feed(`>INFO:${'x'.repeat(5000)}\n>CLIENT:CONNECT,7,2\n`),
      ...parser.feed(
        `${Array.from({ length: 20 }, (_, i) => `>CLIENT:ENV,k${i}=v`).join('\n')}\n>CLIENT:ENV,END\n`,
      ),
    ];
    expect(
      events.filter((e) => e.kind === 'garbage').map((e) => e.kind === 'garbage' && e.reason),
    ).toEqual([
      'not a known message',
      'malformed CONNECT',
      'ENV outside a client event',
      'malformed ESTABLISHED',
      'line too long',
    ]);
    const request = events.find((e) => e.kind === 'client-auth-request');
    expect(request).toMatchObject({ cid: 7, kid: 2 });
    expect(request && 'env' in request && request.env.overLimits).toMatch(/more than 8/);

    const random = seededRandom(25);
    const fuzzed = new ManagementParser({
      maxLineBytes: 256,
      maxEnvEntries: 16,
      maxBlockLines: 16,
    });
    const pieces = [
      '>CLIENT:',
      'CONNECT,',
      'ENV,',
      'END',
      '\n',
      '\r\n',
      ',',
      '1',
      '=',
      '>BYTECOUNT_CLI:',
      'SUCCESS: ',
      'x',
    ];
    for (let i = 0; i < 20_000; i++) {
      const chunk = Array.from({ length: 1 + Math.floor(random() * 12) }, () =>
        random() < 0.8
          ? (pieces[Math.floor(random() * pieces.length)] ?? '')
          : String.fromCharCode(Math.floor(random() * 256)),
      ).join('');
      expect(() => fuzzed.feed(chunk)).not.toThrow();
    }
  });
});

describe('management commands', () => {
  it('quote what a client or reason says, so it cannot end the command or start another', () => {
    expect(quoteArgument('wrong "password" \\ here')).toBe('"wrong \\"password\\" \\\\ here"');
    expect(quoteArgument('two\nlines\r\0')).toBe('"two lines  "');
    expect(clientDeny(3, 1, 'over quota', 'traffic quota "used up"\nclient-kill 1')).toBe(
      'client-deny 3 1 "over quota" "traffic quota \\"used up\\" client-kill 1"\n',
    );
    expect(clientKill(4, 'kicked')).toBe('client-kill 4 "RESTART,kicked"\n');
    expect(clientKill(4)).toBe('client-kill 4 "RESTART"\n');
  });

  it('admit with config lines, and refuse a line that would break the block', () => {
    expect(clientAuth(0, 1, ['ifconfig-push 10.9.0.77 255.255.255.0'])).toBe(
      'client-auth 0 1\nifconfig-push 10.9.0.77 255.255.255.0\nEND\n',
    );
    expect(() => clientAuth(0, 1, ['push "a"\nclient-kill 2'])).toThrow(/not allowed/);
    expect(() => clientAuth(0, 1, ['END'])).toThrow(/not allowed/);
  });
});
