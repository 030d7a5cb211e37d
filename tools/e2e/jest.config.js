module.exports = {
  displayName: 'relay-e2e',
  preset: '../../jest.preset.js',
  // Whole relays (OpenVPN, both apps, namespaces) start and stop in these tests.
  testTimeout: 120000,
};
