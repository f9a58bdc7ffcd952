// Entry of the reliability tests that run inside a real VS Code extension host (code-server
// stand-in, see test/harness): VS Code calls run(); every *.in-vscode.js beside it runs under
// mocha. (Not *.test.js or *-test.js: `node --test` collects those, and they need the vscode module.)
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 30_000 });
  const files = readdirSync(__dirname).filter((n) => n.endsWith('.in-vscode.js'));
  for (const f of files) mocha.addFile(join(__dirname, f));
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const passes = runner.stats?.passes ?? 0;
      console.log(`reliability tests in VS Code: ${passes} passed, ${failures} failed`);
      if (failures > 0) reject(new Error(`${failures} test(s) failed`));
      else if (passes === 0) reject(new Error('no test ran'));
      else resolve();
    });
  });
}
