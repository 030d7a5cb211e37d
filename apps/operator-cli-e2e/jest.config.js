module.exports = {
  displayName: 'operator-cli-e2e',
  preset: '../../jest.preset.js',
  testTimeout: 20000,
};
