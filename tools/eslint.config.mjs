import baseConfig from '../eslint.config.mjs';

// tools/e2e, tools/relay-lab and tools/build are projects of their own, linted as such.
export default [{ ignores: ['e2e/**', 'relay-lab/**', 'build/**'] }, ...baseConfig];
