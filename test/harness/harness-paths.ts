// Where the harness keeps things, and the pinned versions it relies on.
import * as os from 'node:os';
import * as path from 'node:path';

/** The repository root (this file runs from out/test/harness/). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** Test tools keep what they fetch here (gitignored), as @vscode/test-electron does. */
export const VSCODE_TEST_DIR = path.join(REPO_ROOT, '.vscode-test');

/**
 * code-server 4.100.3 is VS Code 1.100.3 and the last release that runs on Node 20; keep
 * engines.vscode at or below ^1.100.0 while this is the pin.
 */
export const CODE_SERVER_VERSION = '4.100.3';
export const CODE_SERVER_DIR = path.join(VSCODE_TEST_DIR, 'code-server');

/** Screenshots and logs a run leaves for people to look at (gitignored). */
export const TEST_RESULTS_DIR = path.join(REPO_ROOT, 'test-results');
export const SCREENSHOTS_DIR = path.join(TEST_RESULTS_DIR, 'screenshots');

/** The packaged extension that `npm run package` writes. */
export const VSIX_PATH = path.join(REPO_ROOT, 'session-keeper.vsix');

/** The stand-in "VS Code executable" for runTests() (executable bit set in git). */
export const VSCODE_STAND_IN = path.join(REPO_ROOT, 'test', 'harness', 'code-server-electron-shim.js');

export const CHROMIUM_PATH = process.env.SESSION_KEEPER_CHROMIUM || '/usr/bin/chromium';

/** Where harness runs create their temp folders; tests point it at a folder they then check. */
export function harnessTempParent(): string {
  return process.env.SESSION_KEEPER_HARNESS_TMPDIR || os.tmpdir();
}
