// The extension tests' entry point: VS Code loads this module in the extension host (as
// --extensionTestsPath) and calls run(); every *.test.js next to it runs under mocha.
import { runMochaSuite } from './mocha-runner';

export async function run(): Promise<void> {
  await runMochaSuite(__dirname);
}
