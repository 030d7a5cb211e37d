export { ROOT, TunnelApiProcess } from './tunnel-api-process';
