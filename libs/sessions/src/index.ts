// Side effect first: English validation messages for every schema in the process.
import './lib/zod-messages';

export * from './lib/models/primitives';
export * from './lib/models/device';
export * from './lib/models/account';
export * from './lib/models/ipv4-ranges';
export * from './lib/models/client-session';
export * from './lib/models/change';
export * from './lib/api/errors';
export * from './lib/api/openvpn.contract';
export * from './lib/api/devices.contract';
export * from './lib/api/accounts.contract';
export * from './lib/api/gateway.contract';
export * from './lib/api/sessions.contract';
export * from './lib/api/health.contract';
export * from './lib/api/routes';
export * from './lib/api/request-id';
export * from './lib/policy/admission';
