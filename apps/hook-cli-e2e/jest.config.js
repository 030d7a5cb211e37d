module.exports = {
  displayName: 'hook-cli-e2e',
  preset: '../../jest.preset.js',
  testTimeout: 20000,
};
