import * as path from 'node:path';

/**
 * What the production bundle of the extension is made of: the esbuild settings of
 * `node esbuild.js --production` (repeated here: esbuild.js exports nothing), built again in
 * memory with a metafile, summed per source file (own code) or per package (dependencies).
 * The caller compares the total with the real dist/extension.js, so a drift of the settings
 * shows instead of misleading.
 */

export interface BundlePart {
  name: string;
  bytes: number;
  dependency: boolean;
}

export interface BundleComposition {
  totalBytes: number;
  ownBytes: number;
  dependencyBytes: number;
  parts: BundlePart[]; // largest first
}

interface Esbuild {
  build(options: object): Promise<{ metafile: { outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }> } }>;
}

export async function bundleComposition(repoRoot: string, entry = 'src/extension.ts'): Promise<BundleComposition> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a dev dependency, loaded only here
  const esbuild = require(path.join(repoRoot, 'node_modules', 'esbuild')) as Esbuild;
  const result = await esbuild.build({
    absWorkingDir: repoRoot,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    external: ['vscode'],
    alias: { 'graceful-fs': 'node:fs' },
    outfile: path.join(repoRoot, 'bench', '.tmp', 'bundle-composition.js'),
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs).find((o) => Object.keys(o.inputs).length > 0);
  if (!output) throw new Error('esbuild produced no output');
  const byName = new Map<string, BundlePart>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const segments = input.split('/');
    const nm = segments.lastIndexOf('node_modules');
    const dependency = nm >= 0;
    const name = dependency ? segments.slice(nm + 1, nm + (segments[nm + 1]?.startsWith('@') ? 3 : 2)).join('/') : input;
    const part = byName.get(name) ?? { name, bytes: 0, dependency };
    part.bytes += bytesInOutput;
    byName.set(name, part);
  }
  const parts = [...byName.values()].sort((a, b) => b.bytes - a.bytes);
  const dependencyBytes = parts.filter((p) => p.dependency).reduce((n, p) => n + p.bytes, 0);
  const ownBytes = parts.filter((p) => !p.dependency).reduce((n, p) => n + p.bytes, 0);
  return { totalBytes: output.bytes, ownBytes, dependencyBytes, parts };
}
