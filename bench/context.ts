import type { BenchOptions } from './options';

/** What every figure gets: the options and a progress logger (stderr, so tables stay clean). */
export interface BenchContext {
  options: BenchOptions;
  log(message: string): void;
}

export function makeContext(options: BenchOptions): BenchContext {
  const t0 = Date.now();
  return {
    options,
    log: (message) => process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(1)}s] ${message}\n`),
  };
}
