// Checks the test harness itself through the same runTests() path as the real suite:
//  1. a failing assertion turns the run red (exit code 1) while passing tests still count;
//  2. a run that never finishes is killed after SESSION_KEEPER_VSCODE_TIMEOUT_MS (exit 124);
// and after each run no process and no temp folder of it is left.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests, TestRunFailedError } from '@vscode/test-electron';
import { EXIT_TIMEOUT } from '../electron-shim';
import { REPO_ROOT, VSCODE_STAND_IN } from '../harness-paths';
import { ensureTestPrerequisites } from '../install-code-server';
import { processesMentioning, removeDir } from '../process-cleanup';

interface RunOutcome {
  code: number;
  leftoverProcesses: number[];
  leftoverFiles: string[];
}

/** One runTests() with every temp folder of the run inside a folder of our own, checked after. */
async function runFixture(suite: string, env: Record<string, string>): Promise<RunOutcome> {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'sk-st-'));
  const harnessTmp = path.join(parent, 'h');
  fs.mkdirSync(harnessTmp);
  let code = 0;
  try {
    await runTests({
      vscodeExecutablePath: VSCODE_STAND_IN,
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: path.join(__dirname, suite, 'index.js'),
      launchArgs: [`--user-data-dir=${path.join(harnessTmp, 'u')}`, `--extensions-dir=${path.join(harnessTmp, 'e')}`],
      extensionTestsEnv: { ...env, SESSION_KEEPER_HARNESS_TMPDIR: harnessTmp },
    });
  } catch (err) {
    if (!(err instanceof TestRunFailedError)) throw err;
    code = err.code ?? -1;
  }
  const outcome = {
    code,
    leftoverProcesses: processesMentioning(harnessTmp),
    // user-data and extensions folders belong to the caller (as with desktop VS Code).
    leftoverFiles: fs.readdirSync(harnessTmp).filter((name) => name !== 'u' && name !== 'e'),
  };
  removeDir(parent);
  return outcome;
}

async function main(): Promise<void> {
  ensureTestPrerequisites();
  const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sk-st-results-'));
  try {
    console.log('\nHarness self-test 1/2: a deliberately failing test must turn the run red');
    const resultsFile = path.join(resultsDir, 'results.json');
    const failing = await runFixture('failing-suite', { SESSION_KEEPER_TEST_RESULTS: resultsFile });
    assert.equal(failing.code, 1, 'a failing test must make the stand-in exit with 1');
    const counts = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as { passes: number; failures: number };
    assert.deepEqual({ passes: counts.passes, failures: counts.failures }, { passes: 1, failures: 1 });
    assert.deepEqual(failing.leftoverProcesses, [], 'processes of the run are still alive');
    assert.deepEqual(failing.leftoverFiles, [], 'temp folders of the run are left behind');

    console.log('\nHarness self-test 2/2: a hung run must be killed after the timeout');
    const hanging = await runFixture('hanging-suite', { SESSION_KEEPER_VSCODE_TIMEOUT_MS: '1500' });
    assert.equal(hanging.code, EXIT_TIMEOUT, 'a hung run must end with the timeout exit code');
    assert.deepEqual(hanging.leftoverProcesses, [], 'processes of the killed run are still alive');
    assert.deepEqual(hanging.leftoverFiles, [], 'temp folders of the killed run are left behind');
    console.log('\nHarness self-test: passed (failures turn runs red; hung runs are killed; nothing is left behind)');
  } finally {
    removeDir(resultsDir);
  }
}

main().catch((err: Error) => {
  console.error(`\nHarness self-test FAILED: ${err.stack ?? err.message}`);
  process.exit(1);
});
