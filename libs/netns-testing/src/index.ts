/** Tests on real kernels: network namespaces, veth links, PKI, and waiting for real processes. */
export { describeAsRoot, isRoot } from './lib/root-only';
export { link, Netns, type RunResult } from './lib/netns';
export { jsonCurlArgs } from './lib/json-curl';
export { ownedLines } from './lib/owned-lines';
export { makeOpenvpnPki, selfSigned } from './lib/pki';
export { freePort } from './lib/free-port';
export { waitFor } from './lib/wait-for';
export { ipsetMembers } from './lib/ipset-members';
export { openvpnClientArgs } from './lib/openvpn-client-args';
export { spawnRedisServer } from './lib/redis-server';
