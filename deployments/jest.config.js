module.exports = {
  displayName: 'deployments',
  preset: '../jest.preset.js',
  // kubectl kustomize and schema validation of every manifest take a while on 2 cores.
  testTimeout: 120000,
};
