export * from './lib/management-parser';
export * from './lib/management-commands';
export * from './lib/client-list';
