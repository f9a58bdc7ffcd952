// Runs the *.test.js files of a folder with mocha inside the extension host and turns failures
// into a rejected promise, which the workbench reports as the run's exit code.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export interface SuiteResult {
  passes: number;
  failures: number;
  pending: number;
  files: string[];
}

/** The compiled test files under `dir` (recursively), in a stable order; no glob needed. */
export function findTestFiles(dir: string): string[] {
  const entries = fs.readdirSync(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.js'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/**
 * Runs every test file under `dir` (mocha's tdd interface: suite/test). Rejects when a test
 * failed or none ran. Environment: SESSION_KEEPER_TEST_GREP runs only matching tests;
 * SESSION_KEEPER_MOCHA_TIMEOUT_MS sets the per-test timeout; SESSION_KEEPER_TEST_RESULTS
 * names a file that receives the counts as JSON (the harness self-test reads it).
 */
export function runMochaSuite(dir: string, title = 'Session Keeper integration tests'): Promise<SuiteResult> {
  const files = findTestFiles(dir);
  if (files.length === 0) return Promise.reject(new Error(`no *.test.js files under ${dir}`));
  const mocha = new Mocha({
    ui: 'tdd',
    color: !process.env.NO_COLOR,
    timeout: Number(process.env.SESSION_KEEPER_MOCHA_TIMEOUT_MS || 20_000),
    ...(process.env.SESSION_KEEPER_TEST_GREP ? { grep: process.env.SESSION_KEEPER_TEST_GREP } : {}),
  });
  for (const file of files) mocha.addFile(file);
  return new Promise((resolve, reject) => {
    const runner = mocha.run(() => {
      const stats = runner.stats;
      const result: SuiteResult = {
        passes: stats?.passes ?? 0,
        failures: stats?.failures ?? 0,
        pending: stats?.pending ?? 0,
        files: files.map((f) => path.relative(dir, f)),
      };
      if (process.env.SESSION_KEEPER_TEST_RESULTS) {
        fs.writeFileSync(process.env.SESSION_KEEPER_TEST_RESULTS, JSON.stringify(result, null, 2));
      }
      console.log(`${title}: ${result.passes} passed, ${result.failures} failed, ${result.pending} pending`);
      if (result.failures > 0) reject(new Error(`${result.failures} test(s) failed`));
      else if (result.passes === 0) reject(new Error('no test ran'));
      else resolve(result);
    });
  });
}
