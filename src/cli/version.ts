// The package's version, read from the package.json above this module.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The session-keeper version, or 'unknown' when no package.json of it is found above this file. */
export function packageVersion(): string {
  // dist/cli.js and out/src/cli/version.js sit at different depths below package.json.
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'session-keeper' && pkg.version) return pkg.version;
    } catch {
      // not here; go up
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}
