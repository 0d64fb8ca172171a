#!/usr/bin/env node
// Launcher committed with the sources so npm links the command at install time, before the
// build creates dist/ (npm only links a bin whose file exists).
require('../dist/main.js').main();
