import baseConfig, { moduleBoundaries } from '../../eslint.config.mjs';

// These tests start proxy-gateway in this process (its bootstrap, config and services), so they import
// its sources: that and nothing else of an app.
const appSources = ['../../proxy-gateway/src/**', '../../../proxy-gateway/src/**'];

export default [
  ...baseConfig,
  { files: ['**/*.ts'], rules: moduleBoundaries({ inTests: true, allow: appSources }) },
];
