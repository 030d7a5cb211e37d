module.exports = {
  displayName: 'tunnel-api',
  preset: '../../jest.preset.js',
  testTimeout: 20000,
};
