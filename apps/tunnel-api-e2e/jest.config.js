module.exports = {
  displayName: 'tunnel-api-e2e',
  preset: '../../jest.preset.js',
  testTimeout: 20000,
};
