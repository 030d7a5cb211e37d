module.exports = {
  displayName: 'store',
  preset: '../../jest.preset.js',
  // The Redis suite starts a real redis-server per file; give slow machines room.
  testTimeout: 20000,
};
