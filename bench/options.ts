import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Command-line options of `npm run bench`. */
export interface BenchOptions {
  quick: boolean;
  /** Where results.json and benchmarks.md go; null means the committed places. */
  outDir: string | null;
  /** Cache of generated data files. */
  dataDir: string;
  /** Scratch space for copies, lock files and session directories. */
  tmpDir: string;
  /** Figure numbers to run (1..8); empty means all. */
  only: number[];
  repoRoot: string;
}

export const USAGE = `usage: npm run bench -- [--quick] [--out DIR] [--data DIR] [--only 1,3,...]
  --quick     small sizes and short durations (finishes in well under 30 s); skips the 1 GB file
              and the in-VS-Code figures
  --out DIR   write results.json and benchmarks.md to DIR instead of bench/ and docs/
              (a --quick run without --out writes to a new temporary folder and says which)
  --data DIR  cache generated data files in DIR (default bench/data)
  --only L    run only these figures (comma-separated numbers 1..8)`;

/** The repository root: the nearest ancestor holding the project's package.json. */
export function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      const name = (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: unknown }).name;
      if (name === 'session-keeper') return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no session-keeper package.json above ${start}`);
    dir = parent;
  }
}

export function parseOptions(argv: readonly string[], repoRoot: string): BenchOptions {
  const options: BenchOptions = {
    quick: false,
    outDir: null,
    dataDir: path.join(repoRoot, 'bench', 'data'),
    tmpDir: path.join(repoRoot, 'bench', '.tmp'),
    only: [],
    repoRoot,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    switch (arg) {
      case '--quick':
        options.quick = true;
        break;
      case '--out':
        options.outDir = path.resolve(value());
        break;
      case '--data':
        options.dataDir = path.resolve(value());
        break;
      case '--only':
        options.only = value()
          .split(',')
          .map((s) => {
            const n = Number(s.trim());
            if (!Number.isInteger(n) || n < 1 || n > 8) throw new Error(`--only: "${s}" is not a figure number 1..8`);
            return n;
          });
        break;
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown option "${arg}"\n${USAGE}`);
    }
  }
  // Quick numbers are a smoke test, never the published figures: without --out they go to a
  // fresh temporary folder, so bench/results.json and docs/benchmarks.md only change by a full run.
  if (options.quick && options.outDir === null) options.outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'session-keeper-bench-quick-'));
  // A run that writes elsewhere (e.g. the unit test) keeps its scratch files there too.
  if (options.outDir !== null) options.tmpDir = path.join(options.outDir, 'tmp');
  return options;
}

export function wants(options: BenchOptions, figure: number): boolean {
  return options.only.length === 0 || options.only.includes(figure);
}
