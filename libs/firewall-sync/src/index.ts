export * from './lib/command-runner';
export * from './lib/iptables';
export * from './lib/firewall-reconciler';
export * from './lib/teardown';
export * from './lib/forward-barrier';
export * from './lib/kernel-canary';
export * from './lib/relay-state-cache';
export * from './lib/client-set';
