module.exports = {
  displayName: 'workspace-tools',
  preset: '../jest.preset.js',
  // tools/e2e and tools/relay-lab are projects of their own.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/e2e/', '<rootDir>/relay-lab/'],
  // ESLint with type information over a fresh project graph takes a while on 2 cores.
  testTimeout: 120000,
};
