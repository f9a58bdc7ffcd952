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

// The parts of the core contracts (docs/architecture.md) that the bench drives. They are
// replaced by `typeof import('../src/core/…')` once the modules have landed.
export interface ReaderModule {
  readJsonl(file: string, options?: object): AsyncGenerator<{ value: unknown; recovered: boolean }, ReaderStats>;
  scanJsonl(
    file: string,
    options?: { onRecord?(r: { value: unknown; recovered: boolean }): void; maxProblems?: number },
  ): Promise<ReaderStats>;
}
export interface ReaderStats {
  bytes: number;
  lines: number;
  records: number;
  recovered: number;
  corrupted: number;
}
export interface RepairModule {
  repairJsonl(
    file: string,
    options?: object,
  ): Promise<{ kept: number; recovered: number; quarantined: number; quarantinePath: string | null; changed: boolean }>;
}
