export * from './lib/json-logger';
export * from './lib/metrics-registry';
export * from './lib/close-on-signals';
export * from './lib/typed-config';
export * from './lib/request-context';
