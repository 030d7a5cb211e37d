import { join } from 'node:path';

export { ChainLab, type TargetAnswer } from './chain-lab';
export type { OpenvpnCustomer } from './openvpn-customer';
export { storm, type Mode, type StormOptions } from './openvpn-storm';
export { LAB } from './topology';

/** A helper script of the lab's, to run with node inside a namespace. */
export function labScript(name: 'target-servers.js' | 'udp-probe.js'): string {
  return join(__dirname, name);
}
