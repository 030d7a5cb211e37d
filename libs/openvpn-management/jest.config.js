module.exports = {
  displayName: 'openvpn-management',
  preset: '../../jest.preset.js',
};
