// Runs the reliability tests: `node out/test/reliability/run.js quick|full`.
//
// The tests run from a mirror of the repository in node_modules/.cache/session-keeper-reliability:
// every top-level entry is a symlink to the real one except out/, which is a private copy. So a
// `npm run compile` elsewhere in the same working tree (which empties out/) cannot pull files
// from under a long run, while code that finds the repository relative to its compiled file
// (the VS Code harness) still finds package.json, dist/, .vscode-test/ and so on. The full
// profile also writes its figures to docs/reliability-results.json and into the table of
// docs/reliability.md.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Figures } from './lib/figures';

const profile = process.argv[2] === 'full' ? 'full' : 'quick';
/** Optional test file names (e.g. load.test.js) to run only those. */
const only = process.argv.slice(3);

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'core'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no repository above ${from}`);
  }
}

const root = findRoot(__dirname);
const outDir = join(__dirname, '..', '..'); // out/ (or wherever tsc put it)
const snapshot = join(root, 'node_modules', '.cache', 'session-keeper-reliability', `${profile}-${process.pid}`);

function commit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'test/reliability', 'test/fixtures'], { cwd: root, encoding: 'utf8' }).trim();
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<number> {
  rmSync(snapshot, { recursive: true, force: true });
  mkdirSync(snapshot, { recursive: true });
  // Folders tools create on demand must exist, or they would be created inside the mirror.
  for (const d of ['.vscode-test', 'test-results']) mkdirSync(join(root, d), { recursive: true });
  for (const name of readdirSync(root)) {
    if (name === 'out' || name === '.git' || name === 'node_modules') continue;
    symlinkSync(join(root, name), join(snapshot, name));
  }
  cpSync(outDir, join(snapshot, 'out'), { recursive: true });
  const figuresDir = mkdtempSync(join(tmpdir(), 'sk-rel-figures-'));
  const started = Date.now();
  const code = await new Promise<number>((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--test',
        '--test-reporter=spec',
        '--test-concurrency=2',
        ...(only.length > 0 ? only.map((f) => join(snapshot, 'out', 'test', 'reliability', f)) : [join(snapshot, 'out', 'test', 'reliability')]),
      ],
      { stdio: 'inherit', cwd: root, env: { ...process.env, SK_RELIABILITY: profile, SK_RELIABILITY_FIGURES: figuresDir } },
    );
    child.on('close', (c) => resolve(c ?? 1));
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  const tests = readdirSync(figuresDir)
    .filter((n) => n.endsWith('.json'))
    .map((n) => JSON.parse(readFileSync(join(figuresDir, n), 'utf8')) as Figures)
    .sort((a, b) => a.test.localeCompare(b.test));
  rmSync(figuresDir, { recursive: true, force: true });
  rmSync(snapshot, { recursive: true, force: true });
  if (profile === 'full') writeResults(tests, code, seconds);
  process.stdout.write(`\nreliability (${profile}): ${code === 0 ? 'passed' : 'FAILED'} in ${seconds} s, ${tests.length} figure sets\n`);
  return code;
}

function cell(v: unknown): string {
  return String(v).replace(/\|/g, '\\|');
}

function writeResults(tests: Figures[], code: number, seconds: number): void {
  const sum = (key: string): number =>
    tests.reduce((s, t) => s + (typeof t.figures[key] === 'number' ? (t.figures[key] as number) : 0), 0);
  const totals = {
    kills: sum('kills') + sum('appenderKills'),
    propertyCases: tests.filter((t) => t.test.startsWith('property-')).reduce((s, t) => s + Number(t.figures.cases ?? 0), 0),
    recordsLost: sum('lostOrDuplicatedBeforeRepair') + sum('lostOrDuplicatedAfterRepair') + sum('lost') + sum('duplicated') + sum('sessionsLost') + sum('recordsLost') + sum('bytesLost'),
  };
  const results = {
    date: new Date().toISOString(),
    commit: commit(),
    machine: { cpus: cpus().length, node: process.version, platform: `${process.platform} ${process.arch}` },
    durationSeconds: seconds,
    passed: code === 0,
    totals,
    tests,
  };
  writeFileSync(join(root, 'docs', 'reliability-results.json'), `${JSON.stringify(results, null, 2)}\n`);

  const lines = [
    `Last full run: ${results.date.slice(0, 16).replace('T', ' ')} UTC, commit ${results.commit}, ${results.machine.cpus} CPUs, Node ${results.machine.node}, ${seconds} s, **${results.passed ? 'all passed' : 'FAILURES'}**.`,
    `Totals: **${totals.kills} SIGKILLs**, **${totals.propertyCases} property cases**, **${totals.recordsLost} records lost**.`,
    '',
    '| Test | Injects | Figures |',
    '| --- | --- | --- |',
    ...tests.map((t) => `| ${cell(t.test)} | ${cell(t.injects)} | ${cell(Object.entries(t.figures).map(([k, v]) => `${k}: ${v}`).join(', '))} |`),
  ];
  const docPath = join(root, 'docs', 'reliability.md');
  const doc = readFileSync(docPath, 'utf8');
  const start = '<!-- figures:start -->';
  const end = '<!-- figures:end -->';
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${docPath} lacks the ${start} ... ${end} markers`);
  writeFileSync(docPath, `${doc.slice(0, a + start.length)}\n${lines.join('\n')}\n${doc.slice(b)}`);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${String((err as Error)?.stack ?? err)}\n`);
    process.exit(1);
  },
);
