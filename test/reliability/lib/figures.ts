import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { profile } from './scale';

/** One row of the figures table in docs/reliability.md. */
export interface Figures {
  test: string;
  injects: string;
  figures: Record<string, number | string | boolean>;
}

/**
 * Records what a test did (kills, cases, records lost, ...). The full runner points
 * SK_RELIABILITY_FIGURES at a directory and merges the files into docs/; without it the
 * figures only go to the test log.
 */
export function recordFigures(entry: Figures): void {
  const line = `[figures] ${entry.test}: ${JSON.stringify(entry.figures)}`;
  process.stdout.write(`${line}\n`);
  const dir = process.env.SK_RELIABILITY_FIGURES;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const safe = entry.test.replace(/[^a-z0-9-]+/gi, '_');
  writeFileSync(join(dir, `${safe}.json`), JSON.stringify({ ...entry, profile }, null, 2));
}
