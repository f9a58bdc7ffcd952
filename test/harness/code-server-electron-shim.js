#!/usr/bin/env node
// Stand-in for a desktop VS Code executable: @vscode/test-electron's runTests() starts this
// with Electron-style arguments (vscodeExecutablePath). The logic is electron-shim.ts, which
// `npm run compile` builds into out/.
const path = require('path');

const compiled = path.join(__dirname, '..', '..', 'out', 'test', 'harness', 'electron-shim.js');
let shim;
try {
  shim = require(compiled);
} catch (err) {
  console.error(`[vscode stand-in] cannot load ${compiled} (run \`npm run compile\` first): ${err.message}`);
  process.exit(2);
}
shim.runShim(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error('[vscode stand-in] failed:', err);
    process.exit(2);
  },
);
