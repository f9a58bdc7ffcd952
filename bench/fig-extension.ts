import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchContext } from './context';
import { runWorker } from './child';
import { fmt } from './report';
import { check, lessThan, type DetailTable, type FigureResult, type Row } from './results';
import { bundleComposition } from './bundle-composition';
import { median } from './stats';
import type { ProbeResult } from './vscode-probe';

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
  const tables: DetailTable[] = [];
  try {
    const c = await bundleComposition(repoRoot);
    const kb = (b: number): string => fmt(b / 1000);
    if (bundleKB !== null && Math.abs(c.totalBytes / 1000 - bundleKB) > 0.02 * bundleKB) {
      throw new Error(
        `the rebuild (${kb(c.totalBytes)} KB) differs from dist/extension.js (${fmt(bundleKB)} KB): ` +
          'esbuild.js settings changed, update bench/bundle-composition.ts',
      );
    }
    notes.push(
      `Bundle composition (same esbuild settings, rebuilt with a metafile: ${kb(c.totalBytes)} KB): own code ${kb(c.ownBytes)} KB, ` +
        `dependencies ${kb(c.dependencyBytes)} KB (${c.parts
          .filter((p) => p.dependency)
          .map((p) => `${p.name} ${kb(p.bytes)}`)
          .join(', ')}).`,
    );
    tables.push({
      title: 'Largest parts of dist/extension.js (minified bytes in the bundle)',
      headers: ['part', 'KB', 'kind'],
      rows: c.parts.slice(0, 20).map((p) => [p.name, kb(p.bytes), p.dependency ? 'dependency' : 'own code']),
    });
  } catch (err) {
    notes.push(`Bundle composition not available: ${(err as Error).message}`);
  }

  const idleMs = 60_000;
  const harness = path.resolve(__dirname, '..', 'test', 'harness', 'ui-session.js');
  const codeServer = path.join(repoRoot, '.vscode-test', 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const skip = !built.ok
    ? 'no VSIX to install (npm run package failed)'
    : !fs.existsSync(harness)
      ? 'the test harness (test/harness/ui-session) is not built'
      : !fs.existsSync(codeServer)
        ? 'code-server is not installed (node out/test/harness/install-code-server.js installs it)'
        : null;
  let probe: ProbeResult | null = null;
  let probeError: string | null = skip;
  if (!skip) {
    ctx.log(`figure 6: the VSIX in code-server + headless Chromium, ${idleMs / 1000} s idle`);
    try {
      probe = await runWorker<ProbeResult>('vscode-probe', [vsix, String(idleMs), '4'], { timeoutMs: 420_000 });
    } catch (err) {
      probeError = (err as Error).message.slice(0, 600);
    }
  }
  const note = probeError ? { note: `not measured: ${probeError}` } : {};
  const windows = probe?.windows ?? [];
  const activations = windows.map((w) => w.activateMs).filter((v): v is number => v !== null);
  const onDisk = windows.map((w) => w.sessionOnDiskMs).filter((v): v is number => v !== null);
  const activateMs = median(activations);
  const perWindow = windows
    .map(
      (w, i) =>
        `window ${i + 1}: activate() ${fmt(w.activateMs)} ms; from page load: workbench on screen ${fmt(w.workbenchMs)} ms, ` +
        `VS Code starts activating ${fmt(w.activationStartMs)} ms, session on disk ${fmt(w.sessionOnDiskMs)} ms`,
    )
    .join('; ');
  rows.push({
    name: `activate() time, in VS Code (median of ${windows.length || '—'} windows)`,
    value: activateMs,
    unit: 'ms',
    target: lessThan('< 10 ms', activateMs, 10),
    ...(probe ? (activations.length ? { note: perWindow } : { note: 'the extension did not log its activate() time' }) : note),
  });
  rows.push({
    name: "window opened → this window's session on disk (first window)",
    value: windows[0]?.sessionOnDiskMs ?? null,
    unit: 'ms',
    baseline: { name: 'workbench on screen', value: windows[0]?.workbenchMs ?? null },
    ...(probe
      ? {
          note:
            `VS Code started activating the extension (onStartupFinished) at ${fmt(windows[0]?.activationStartMs)} ms; ` +
            `median over all windows: session on disk ${fmt(median(onDisk))} ms`,
        }
      : note),
  });
  const ownShare = windows
    .map((w) => (w.sessionOnDiskMs !== null && w.activationStartMs !== null ? w.sessionOnDiskMs - w.activationStartMs : null))
    .filter((v): v is number => v !== null);
  rows.push({
    name: "VS Code starts activating the extension → session on disk (median of windows)",
    value: median(ownShare),
    unit: 'ms',
    ...(probe ? { note: 'the extension\'s own share of the time above: registration after activate() returns' } : note),
  });
  if (probe) {
    const interval = probe.heartbeatIntervalMs;
    const expected = interval ? probe.idleMs / interval : null;
    const extra = probe.idle.journalWrites + Object.values(probe.idle.otherFiles).reduce((a, b) => a + b, 0);
    const perMin = ((probe.idle.recordWrites + extra) * 60_000) / probe.idleMs;
    const ok = expected !== null && Math.abs(probe.idle.recordWrites - expected) <= 1 && extra === 0;
    rows.push({
      name: `idle window: file writes per minute in the sessions folder (over ${Math.round(probe.idleMs / 1000)} s)`,
      value: perMin,
      unit: '/min',
      baseline: { name: 'one heartbeat per interval', value: interval ? 60_000 / interval : null },
      target: check('one heartbeat per interval, nothing more', expected === null ? null : ok),
      note:
        `${probe.idle.recordWrites} record replacements (heartbeats), ${probe.idle.lockAcquisitions} lock acquisitions, ` +
        `${probe.idle.journalWrites} journal writes, other files: ${JSON.stringify(probe.idle.otherFiles)}; ` +
        `heartbeat interval ${interval ?? '?'} ms` + (probe.notes.length ? `; ${probe.notes.join('; ')}` : ''),
    });
    notes.push(
      'In-VS-Code figures: the VSIX installed into code-server (VS Code in the browser) with a fresh profile and its own ' +
        'sessions folder (SESSION_KEEPER_DIR), one window opened by headless Chromium through the test harness. ' +
        'activate() time is what the extension logs for its own activate(); the idle count watches the sessions folder ' +
        '(inotify) after start-up has settled. Timings are from the start of the page load. After the idle ' +
        'measurement four more windows are opened on the warm server for more activate() samples.',
    );
  } else {
    rows.push({
      name: 'idle window: file writes per minute in the sessions folder',
      value: null,
      unit: '/min',
      target: check('one heartbeat per interval, nothing more', null),
      ...note,
    });
  }
  return { id: 6, title, params: { idleS: idleMs / 1000 }, rows, notes, tables, ...(probe ? { details: probe } : {}) };
}
