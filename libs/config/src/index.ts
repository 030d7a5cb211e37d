// For its side effect: the English validation messages (see libs/sessions zod-messages).
import '@tunnelgate/sessions';

export * from './lib/config-error';
export * from './lib/parse-env';
export * from './lib/fields';
export * from './lib/read-secret-file';
export * from './lib/render-template';
export * from './lib/describe-env';
export * from './lib/node-runtime';
