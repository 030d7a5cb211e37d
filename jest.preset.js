const nxPreset = require('@nx/jest/preset').default;

// @swc/jest instead of ts-jest: about twice as fast; the typecheck target does the type checking.
// Nest needs the legacy decorators with their metadata for constructor injection.
const swcTransform = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

module.exports = {
  ...nxPreset,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swcTransform },
  moduleFileExtensions: ['ts', 'js', 'json', 'node'],
  testMatch: ['**/?(*.)+(spec|e2e-spec).ts'],
  coverageReporters: ['text-summary'],
};
