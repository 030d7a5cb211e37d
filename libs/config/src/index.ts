export * from './lib/config-error';
export * from './lib/parse-env';
export * from './lib/fields';
export * from './lib/read-secret-file';
