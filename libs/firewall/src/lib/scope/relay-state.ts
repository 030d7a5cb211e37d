import * as ipaddr from 'ipaddr.js';
import type { FirewallState } from '../build/desired-ruleset';
import type { FirewallSettings } from '../model/firewall-settings';

function inSubnet(cidr: string): (ip: string) => boolean {
  const range = ipaddr.parseCIDR(cidr);
  return (ip) => {
    const address = ipaddr.parse(ip);
    return address.kind() === range[0].kind() && address.match(range);
  };
}

/**
 * The part of a store's state that this relay routes. Relays that share one store (the
 * multi-node deployment) each own a customer and a device subnet: a session or device in another
 * relay's subnet gets no rule here, so one relay never DNATs a public port to an address that, on
 * this host, is some other phone.
 */
export function relayState(state: FirewallState, settings: FirewallSettings): FirewallState {
  const { isCustomer, isDevice } = relayScope(settings);
  return {
    sessions: state.sessions.filter((session) => isCustomer(session.vpnIp)),
    devices: state.devices.filter((device) => isDevice(device.vpnIp)),
  };
}

/** The same scope, one address at a time: for state kept per change. */
export interface RelayScope {
  isCustomer(ip: string): boolean;
  isDevice(ip: string): boolean;
}

export function relayScope(settings: FirewallSettings): RelayScope {
  return {
    isCustomer: inSubnet(settings.customerSubnet),
    isDevice: inSubnet(settings.deviceSubnet),
  };
}
