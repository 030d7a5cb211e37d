import type { FirewallSettings } from '../model/firewall-settings';
import { CHAINS, tag } from '../model/naming';
import type { Rule } from '../model/rule';

const policy = (key: string) => tag('policy', key);

/** nat TG-PREROUTING: device ports first (only to the relay's own addresses), then clients. */
export function natPreroutingRules(settings: FirewallSettings): Rule[] {
  return [
    {
      chain: CHAINS.prerouting,
      match: { destinationIsLocal: true },
      target: { kind: 'JUMP', chain: CHAINS.devices },
      comment: policy('device-ports'),
    },
    {
      chain: CHAINS.prerouting,
      match: { inInterface: settings.customerInterface },
      target: { kind: 'JUMP', chain: CHAINS.clients },
      comment: policy('customers'),
    },
  ];
}

/** nat TG-CLIENTS, before the client-set REDIRECT: DNS, then relay-local destinations untouched. */
export function clientHeadRules(settings: FirewallSettings): Rule[] {
  const dns: Rule[] =
    settings.customerDns.kind === 'redirect'
      ? (['udp', 'tcp'] as const).map((protocol) => ({
          chain: CHAINS.clients,
          match: { protocol, destinationPort: 53 },
          target: { kind: 'REDIRECT', toPort: (settings.customerDns as { port: number }).port },
          comment: policy(`dns-${protocol}`),
        }))
      : [];
  return [
    ...dns,
    {
      chain: CHAINS.clients,
      match: { destination: settings.customerSubnet },
      target: { kind: 'RETURN' },
      comment: policy('local-customers'),
    },
    {
      chain: CHAINS.clients,
      match: { destination: settings.deviceSubnet },
      target: { kind: 'RETURN' },
      comment: policy('local-devices'),
    },
  ];
}

/** nat TG-POSTROUTING: DNATed device-port traffic leaves from the relay, so replies come back. */
export function natPostroutingRules(settings: FirewallSettings): Rule[] {
  return [
    {
      chain: CHAINS.postrouting,
      match: { destination: settings.deviceSubnet, ctstate: ['DNAT'] },
      target: { kind: 'MASQUERADE' },
      comment: policy('device-ports-snat'),
    },
  ];
}

/**
 * filter TG-FORWARD: device-port traffic passes; customer traffic that was not redirected never
 * leaves raw. QUIC gets icmp-port-unreachable (browsers fall back to TCP at once; a DROP would
 * make them wait), TCP without a session a reset, anything else icmp-port-unreachable.
 */
export function filterForwardRules(settings: FirewallSettings): Rule[] {
  const iface = settings.customerInterface;
  return [
    {
      chain: CHAINS.forward,
      match: { destination: settings.deviceSubnet, ctstate: ['DNAT'] },
      target: { kind: 'ACCEPT' },
      comment: policy('device-ports-in'),
    },
    {
      chain: CHAINS.forward,
      match: { source: settings.deviceSubnet, ctstate: ['RELATED', 'ESTABLISHED'] },
      target: { kind: 'ACCEPT' },
      comment: policy('device-ports-out'),
    },
    {
      chain: CHAINS.forward,
      match: { inInterface: iface, protocol: 'udp', destinationPort: 443 },
      target: { kind: 'REJECT', with: 'icmp-port-unreachable' },
      comment: policy('quic'),
    },
    {
      chain: CHAINS.forward,
      match: { inInterface: iface, protocol: 'tcp' },
      target: { kind: 'REJECT', with: 'tcp-reset' },
      comment: policy('customer-tcp-without-session'),
    },
    {
      chain: CHAINS.forward,
      match: { inInterface: iface },
      target: { kind: 'REJECT', with: 'icmp-port-unreachable' },
      comment: policy('customer-other'),
    },
  ];
}

/** filter TG-INPUT: let redirected customer connections reach the transparent listener even
 * when the host's INPUT policy is DROP (UFW and friends). */
export function filterInputRules(settings: FirewallSettings): Rule[] {
  const redirected = (protocol: 'tcp' | 'udp', port: number, key: string): Rule => ({
    chain: CHAINS.input,
    match: {
      inInterface: settings.customerInterface,
      protocol,
      destinationPort: port,
      ctstate: ['DNAT'],
    },
    target: { kind: 'ACCEPT' },
    comment: policy(key),
  });
  const dns = settings.customerDns.kind === 'redirect' ? settings.customerDns.port : undefined;
  return [
    redirected('tcp', settings.transparentPort, 'transparent-in'),
    ...(dns === undefined
      ? []
      : [redirected('udp', dns, 'dns-udp-in'), redirected('tcp', dns, 'dns-tcp-in')]),
  ];
}

/** IPv6 from customers is blocked entirely: nothing of it is redirected, so none may leave. */
export function filterForwardRulesV6(settings: FirewallSettings): Rule[] {
  return [
    {
      chain: CHAINS.forward,
      match: { inInterface: settings.customerInterface, protocol: 'tcp' },
      target: { kind: 'REJECT', with: 'tcp-reset' },
      comment: policy('customer-v6-tcp'),
    },
    {
      chain: CHAINS.forward,
      match: { inInterface: settings.customerInterface },
      target: { kind: 'REJECT', with: 'icmp6-port-unreachable' },
      comment: policy('customer-v6-other'),
    },
  ];
}
