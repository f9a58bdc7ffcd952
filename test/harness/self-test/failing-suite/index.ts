// Fixture for the harness self-test: the same mocha runner as the real suite, over a folder
// whose one test fails on purpose.
import { runMochaSuite } from '../../../integration/mocha-runner';

export async function run(): Promise<void> {
  await runMochaSuite(__dirname, 'Harness self-test fixture (one failure expected)');
}
