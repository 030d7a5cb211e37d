import baseConfig, { moduleBoundaries } from '../../eslint.config.mjs';

// These tests start tunnel-api in this process (its bootstrap, config and services), so they import
// its sources: that and nothing else of an app.
const appSources = ['../../tunnel-api/src/**', '../../../tunnel-api/src/**'];

export default [
  ...baseConfig,
  { files: ['**/*.ts'], rules: moduleBoundaries({ inTests: true, allow: appSources }) },
];
