module.exports = {
  displayName: 'proxy-gateway',
  preset: '../../jest.preset.js',
  testTimeout: 20000,
};
