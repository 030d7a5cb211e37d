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
  // content-disposition (under @fastify/static, which Swagger UI's assets come through) ships
  // only ES modules: Node requires them natively, jest's module system needs them compiled.
  transform: {
    '^.+\\.ts$': swcTransform,
    '/node_modules/content-disposition/.+\\.js$': swcTransform,
  },
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  moduleFileExtensions: ['ts', 'js', 'json', 'node'],
  testMatch: ['**/?(*.)+(spec|e2e-spec).ts'],
  coverageReporters: ['text-summary'],
};
