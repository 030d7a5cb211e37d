module.exports = {
  displayName: 'hook-cli',
  preset: '../../jest.preset.js',
  testTimeout: 20000,
};
