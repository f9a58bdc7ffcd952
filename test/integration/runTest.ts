// Runs the integration tests through @vscode/test-electron's runTests(), as extensions in the
// ecosystem do. Here VS Code cannot be downloaded, so runTests() is pointed at a stand-in
// executable that runs them in code-server + headless Chromium; with
// SESSION_KEEPER_DESKTOP_VSCODE=1 it downloads and runs a desktop VS Code instead.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { harnessTempParent, REPO_ROOT, TEST_RESULTS_DIR, VSCODE_STAND_IN } from '../harness/harness-paths';
import { ensureTestPrerequisites } from '../harness/install-code-server';
import { removeDir } from '../harness/process-cleanup';

async function main(): Promise<number> {
  const desktop = process.env.SESSION_KEEPER_DESKTOP_VSCODE === '1';
  const work = fs.mkdtempSync(path.join(harnessTempParent(), 'session-keeper-integration-'));
  const workspace = path.join(work, 'workspace');
  const sessions = path.join(work, 'sessions');
  fs.mkdirSync(workspace);
  fs.mkdirSync(sessions);
  const logsPath = path.join(TEST_RESULTS_DIR, 'integration-logs');
  removeDir(logsPath);
  try {
    await runTests({
      ...(desktop
        ? { version: process.env.SESSION_KEEPER_DESKTOP_VSCODE_VERSION || 'stable' }
        : { vscodeExecutablePath: (ensureTestPrerequisites(), VSCODE_STAND_IN) }),
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: path.join(__dirname, 'index.js'),
      launchArgs: [
        workspace,
        '--disable-extensions',
        `--user-data-dir=${path.join(work, 'user-data')}`,
        `--extensions-dir=${path.join(work, 'extensions')}`,
        `--logsPath=${logsPath}`,
      ],
      // A sessions folder of the run's own: the tests never touch the user's sessions.
      extensionTestsEnv: { SESSION_KEEPER_DIR: sessions, SESSION_KEEPER_TEST_HOST: desktop ? 'desktop' : 'code-server' },
    });
    return 0;
  } catch (err) {
    console.error(`Integration tests failed: ${(err as Error).message}`);
    console.error(`Workbench logs: ${path.relative(process.cwd(), logsPath)}/`);
    return 1;
  } finally {
    removeDir(work);
  }
}

main().then((code) => process.exit(code));
