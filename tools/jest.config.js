module.exports = {
  displayName: 'workspace-tools',
  preset: '../jest.preset.js',
  // ESLint with type information over a fresh project graph takes a while on 2 cores.
  testTimeout: 120000,
};
