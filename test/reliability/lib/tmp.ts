import { mkdtempSync, rmSync, readdirSync, lstatSync, readFileSync, readlinkSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

/** A fresh private temp directory; `dispose` removes it even when tests chmod'ed parts of it. */
export function tempDir(prefix: string): { dir: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `sk-rel-${prefix}-`));
  return {
    dir,
    dispose: () => {
      makeWritable(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `fn` with a fresh private temp directory (see tempDir), which is removed afterwards whatever `fn` did. */
export async function inTempDir<T>(prefix: string, fn: (dir: string) => Promise<T> | T): Promise<T> {
  const tmp = tempDir(prefix);
  try {
    return await fn(tmp.dir);
  } finally {
    tmp.dispose();
  }
}

function makeWritable(path: string): void {
  try {
    const st = lstatSync(path);
    if (!st.isDirectory()) return;
    chmodSync(path, 0o700);
    for (const name of readdirSync(path)) makeWritable(join(path, name));
  } catch {
    // already gone
  }
}

/**
 * A fingerprint of everything under `dir` (names, types, modes, sizes, content hashes,
 * link targets). Taken before and after a test to prove nothing was written there.
 */
export function snapshotTree(dir: string): string {
  const out: string[] = [];
  const walk = (path: string, rel: string): void => {
    const st = lstatSync(path);
    let detail = '';
    if (st.isSymbolicLink()) detail = `-> ${readlinkSync(path)}`;
    else if (st.isFile()) detail = createHash('sha256').update(readFileSync(path)).digest('hex');
    out.push(`${rel} ${st.mode.toString(8)} ${st.size} ${st.mtimeMs} ${detail}`);
    if (st.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name), `${rel}/${name}`);
  };
  walk(dir, '.');
  return out.join('\n');
}
