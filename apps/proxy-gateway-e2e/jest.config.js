module.exports = {
  displayName: 'proxy-gateway-e2e',
  preset: '../../jest.preset.js',
  testTimeout: 20000,
};
