module.exports = {
  displayName: 'original-dst',
  preset: '../../jest.preset.js',
};
