export { exportedMetrics, GATEWAY_ADMIN, ScrapedRelay, TUNNEL_API } from './scraped-relay';
export { ROOT, TunnelApiProcess } from './tunnel-api-process';
