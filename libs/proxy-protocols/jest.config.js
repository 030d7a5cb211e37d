module.exports = {
  displayName: 'proxy-protocols',
  preset: '../../jest.preset.js',
};
