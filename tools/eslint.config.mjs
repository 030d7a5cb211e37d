import baseConfig, { moduleBoundaries } from '../eslint.config.mjs';

// tools/e2e, tools/relay-lab and tools/build are projects of their own, linted as such.
export default [
  { ignores: ['e2e/**', 'relay-lab/**', 'build/**'] },
  ...baseConfig,
  {
    // A benchmark of one module of an app on several Node releases (the apps themselves refuse
    // all but the pinned one) imports that module, and nothing else of an app.
    files: ['bench/own-buffer-reader.bench.ts'],
    rules: moduleBoundaries({
      allow: ['../../apps/proxy-gateway/src/upstream/own-buffer-reader'],
    }),
  },
];
