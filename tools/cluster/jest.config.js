module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'cluster-launcher',
  rootDir: __dirname,
  testTimeout: 120000,
};
