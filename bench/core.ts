import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Loads the built core (out/src/core) at run time, so the bench framework compiles and runs
 * while core modules are still being written; a figure whose module is missing is reported
 * as "not measured" instead of failing the whole run.
 */

const CORE_DIR = path.resolve(__dirname, '..', 'src', 'core');

export class CoreMissingError extends Error {
  constructor(readonly module: string) {
    super(`src/core/${module}.ts is not built yet`);
  }
}

export function coreModulePath(name: string): string {
  return path.join(CORE_DIR, `${name}.js`);
}

export function hasCore(name: string): boolean {
  return fs.existsSync(coreModulePath(name));
}

export function loadCore<T>(name: string): T {
  if (!hasCore(name)) throw new CoreMissingError(name);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(coreModulePath(name)) as T;
}

// The core modules' real types (type-only: nothing is imported at run time by these).
export type ReaderModule = typeof import('../src/core/jsonl-reader');
export type RepairModule = typeof import('../src/core/jsonl-repair');
export type AppendModule = typeof import('../src/core/jsonl-append');
export type LockModule = typeof import('../src/core/lock');
export type LockTimingsModule = typeof import('../src/core/lock-timings');
export type StoreModule = typeof import('../src/core/session-store');
