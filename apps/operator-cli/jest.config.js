module.exports = {
  displayName: 'operator-cli',
  preset: '../../jest.preset.js',
};
