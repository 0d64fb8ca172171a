module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'docs',
  rootDir: __dirname,
  // Each example runs in a child process against a real broker; a page takes a few seconds.
  testTimeout: 120000,
  // One suite at a time: `npm start` (npm-start.spec.ts) runs nx, which must not rebuild dist/ under a running example.
  maxWorkers: 1,
};
