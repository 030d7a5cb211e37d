import { describeAsRoot } from '@tunnelgate/netns-testing';
import { ChainLab } from './lab/chain-lab';
import { LAB } from './lab/topology';

jest.setTimeout(120_000);

describeAsRoot(
  'the whole chain on real parts (OpenVPN → hook → API → firewall → gateway → phone)',
  () => {
    let lab: ChainLab;

    beforeAll(async () => {
      lab = await ChainLab.start();
      await lab.createAccount('alice', 'alice-secret', 'dev-a');
      await lab.createAccount('bob', 'bob-secret', 'dev-b');
    }, 120_000);
    afterAll(async () => {
      await lab?.stop();
    });

    it('1. a customer browses through its device: HTTP and HTTPS by name, exit on the device, SNI logged', async () => {
      const [customerNs] = lab.topology.vpnCustomers;
      const alice = await lab.customer(customerNs, 'alice', 'alice-secret');
      expect(await alice.connect()).toBe('connected');
      const deviceA = lab.topology.devices[0];

      const http = await lab.fetchTarget(customerNs, `http://${LAB.targetName}/plain`);
      expect(http).toEqual({ path: '/plain', client: deviceA.egressIp, name: LAB.targetName });
      const https = await lab.fetchTarget(customerNs, `https://${LAB.targetName}/tls`, '-k');
      expect(https).toEqual({ path: '/tls', client: deviceA.egressIp, name: LAB.targetName });
      await lab.relay.gateway.waitForOutput(
        new RegExp(
          `"transparent connection".*"host":"${LAB.targetName}".*"destination":"${LAB.target}:443"|"destination":"${LAB.target}:443".*"host":"${LAB.targetName}"`,
        ),
      );
    });
  },
);
