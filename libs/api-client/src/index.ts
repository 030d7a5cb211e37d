export * from './lib/api-outcome';
export * from './lib/http-transport';
export * from './lib/tunnel-api-client';
