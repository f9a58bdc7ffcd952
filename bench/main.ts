import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeContext, type BenchContext } from './context';
import { figureAppend } from './fig-append';
import { figureArchive } from './fig-archive';
import { figureExtension } from './fig-extension';
import { figureJsonlRead } from './fig-jsonl-read';
import { figureJsonlRepair } from './fig-jsonl-repair';
import { figureList } from './fig-list';
import { figureRedis } from './fig-redis';
import { figureScale } from './fig-scale';
import { machineInfo } from './machine';
import { findRepoRoot, parseOptions, wants } from './options';
import { consoleTable, markdown } from './report';
import { summarize, type BenchResults, type FigureResult } from './results';

/** `npm run bench`: runs the figures, prints the table, writes results.json and benchmarks.md. */

const FIGURES: { id: number; title: string; run(ctx: BenchContext): Promise<FigureResult> }[] = [
  { id: 1, title: 'JSONL reading', run: figureJsonlRead },
  { id: 2, title: 'JSONL repair', run: figureJsonlRepair },
  { id: 3, title: 'Locked appends from many processes', run: figureAppend },
  { id: 4, title: 'Listing sessions with states', run: figureList },
  { id: 5, title: 'Scale: heartbeats while listing', run: figureScale },
  { id: 6, title: 'The extension', run: figureExtension },
  { id: 7, title: 'The archive: live refresh and list --all', run: figureArchive },
  { id: 8, title: 'Registry on Redis beside the directory', run: figureRedis },
];

function commit(root: string): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    // Several people work in one tree: say when what ran was not exactly the commit.
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src', 'bench'], { cwd: root, encoding: 'utf8' }).trim();
    return dirty ? `${head} + uncommitted changes in src/ or bench/` : head;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const root = findRepoRoot(__dirname);
  const options = parseOptions(process.argv.slice(2), root);
  const ctx = makeContext(options);
  const machine = machineInfo();
  const t0 = Date.now();
  fs.mkdirSync(options.tmpDir, { recursive: true });
  const figures: FigureResult[] = [];
  for (const f of FIGURES) {
    if (!wants(options, f.id)) continue;
    ctx.log(`figure ${f.id}: ${f.title}`);
    const loadStart = os.loadavg()[0] ?? 0;
    const round1 = (n: number): number => Math.round(n * 10) / 10;
    try {
      const figure = await f.run(ctx);
      figure.load1m = [round1(loadStart), round1(os.loadavg()[0] ?? 0)];
      figures.push(figure);
    } catch (err) {
      // One broken figure must not lose the others' numbers.
      const message = err instanceof Error ? err.message : String(err);
      ctx.log(`figure ${f.id} failed: ${message}`);
      figures.push({ id: f.id, title: f.title, params: {}, rows: [{ name: 'figure failed', value: null, unit: '', note: message.slice(0, 500) }], notes: [] });
    }
  }
  const results: BenchResults = {
    schemaVersion: 1,
    mode: options.quick ? 'quick' : 'full',
    commit: commit(root),
    machine,
    durationS: (Date.now() - t0) / 1000,
    figures,
    summary: summarize(figures),
  };
  const jsonPath = options.outDir ? path.join(options.outDir, 'results.json') : path.join(root, 'bench', 'results.json');
  const mdPath = options.outDir ? path.join(options.outDir, 'benchmarks.md') : path.join(root, 'docs', 'benchmarks.md');
  fs.mkdirSync(path.dirname(jsonPath), { recursive: true });
  fs.mkdirSync(path.dirname(mdPath), { recursive: true });
  fs.writeFileSync(jsonPath, JSON.stringify(results, null, 2) + '\n');
  fs.writeFileSync(mdPath, markdown(results));
  fs.rmSync(options.tmpDir, { recursive: true, force: true });
  process.stdout.write(`\n${consoleTable(results)}\n\nwrote ${path.relative(process.cwd(), jsonPath)} and ${path.relative(process.cwd(), mdPath)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
