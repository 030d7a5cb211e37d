module.exports = {
  displayName: 'firewall',
  preset: '../../jest.preset.js',
};
