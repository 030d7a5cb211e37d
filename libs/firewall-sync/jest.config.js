module.exports = {
  displayName: 'firewall-sync',
  preset: '../../jest.preset.js',
};
