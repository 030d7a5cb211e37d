module.exports = {
  displayName: 'app-runtime',
  preset: '../../jest.preset.js',
};
