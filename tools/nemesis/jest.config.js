module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'nemesis',
  rootDir: __dirname,
  testTimeout: 300000,
};
