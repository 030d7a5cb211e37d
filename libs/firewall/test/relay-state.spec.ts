import { relayState } from '../src';
import { device, settings } from './fixtures';

describe('relayState (relays sharing one store)', () => {
  const state = {
    sessions: [
      { id: 'mine', vpnIp: '10.9.0.6' },
      { id: 'next-relay', vpnIp: '10.9.1.6' },
    ],
    devices: [
      device('mine', '192.168.255.10', 20000),
      device('next-relay', '192.168.254.10', 20003),
    ],
  };

  it("keeps only the sessions and devices inside this relay's subnets", () => {
    const scoped = relayState(state, settings);
    expect(scoped.sessions.map((s) => s.id)).toEqual(['mine']);
    expect(scoped.devices.map((d) => d.id)).toEqual(['mine']);
  });

  it("follows the relay's own subnets", () => {
    const scoped = relayState(state, {
      ...settings,
      customerSubnet: '10.9.1.0/24',
      deviceSubnet: '192.168.254.0/24',
    });
    expect(scoped.sessions.map((s) => s.id)).toEqual(['next-relay']);
    expect(scoped.devices.map((d) => d.id)).toEqual(['next-relay']);
  });
});
