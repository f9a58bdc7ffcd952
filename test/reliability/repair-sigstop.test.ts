// A repair stopped (SIGSTOP) for longer than the stale threshold at each of its phases, while a
// real `session-keeper append` takes its lock over and exits 0. Afterwards the appended record
// must be in the file exactly once, every original record exactly once, nothing invented, and
// every damaged original line either still in the file or in the quarantine. Before the fix, a
// repair continued after the stop renamed its copy over the file and the append was gone.
// The repairing child also writes late lines past what it read, bypassing the lock (before and
// after the rename: see the fixture); each must end up exactly once in the file or in the
// `FILE.late-*` file repair saves them to when it lost its lock after the rename. Before the
// carry-over fix, a repair stopped inside its post-rename copy overwrote the append.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanJsonl } from '../../src/core/jsonl-reader';
import { fixture, startChild, exitWithin } from './lib/proc';
import { inTempDir } from './lib/tmp';
import { budgetMs } from './lib/scale';
import { recordFigures } from './lib/figures';

const cli = join(__dirname, '..', '..', 'src', 'cli', 'main.js');
const stopper = fixture('repair-phase-stop');
const ORIGINALS = 400;
/** Late lines of each kind the fixture writes (its LATE). */
const LATE = 50;
const DAMAGED = ['{"damaged": \u0001', '{"broken": tru'];

/** A file whose first line is damaged, with another damaged line in the middle. */
function writeOriginal(file: string): void {
  const lines = [DAMAGED[0] as string];
  for (let i = 0; i < ORIGINALS; i++) {
    lines.push(JSON.stringify({ orig: i, pad: 'o'.repeat(i % 40) }));
    if (i === ORIGINALS / 2) lines.push(DAMAGED[1] as string);
  }
  writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
}

function lastJson(lines: string[]): { ok: boolean; name?: string; message?: string } {
  const line = [...lines].reverse().find((l) => l.startsWith('{'));
  if (line === undefined) throw new Error(`no outcome line in ${JSON.stringify(lines)}`);
  return JSON.parse(line) as { ok: boolean; name?: string; message?: string };
}

interface PhaseResult {
  phase: string;
  outcome: string;
  problems: string[];
}

async function stopAt(dir: string, phase: string): Promise<PhaseResult> {
  const file = join(dir, `${phase}.jsonl`);
  const release = join(dir, `${phase}.release`);
  writeOriginal(file);
  const problems: string[] = [];
  const child = startChild(stopper, [file, phase, release]);
  await child.waitForLine((l) => l === `blocked ${phase}`, 60_000);
  process.kill(child.pid, 'SIGSTOP');
  let appendCode: number | null;
  try {
    // Default options: the lock is taken over once its mtime is 10 s old, within the 15 s wait.
    const append = startChild(cli, ['append', file, JSON.stringify({ appended: phase })]);
    appendCode = (await exitWithin(append, 60_000)).code;
    if (appendCode !== 0) problems.push(`append exited ${appendCode}: ${append.stderr()}`);
  } finally {
    process.kill(child.pid, 'SIGCONT');
    writeFileSync(release, '');
  }
  await exitWithin(child, 60_000);
  const outcome = lastJson(child.lines);
  if (!outcome.ok && outcome.name !== 'LockCompromisedError') problems.push(`repair failed with ${outcome.name}: ${outcome.message}`);

  const seen = new Map<string, number>();
  let invented = 0;
  const rescues = readdirSync(dir).filter((n) => n.startsWith(`${phase}.jsonl.late-`));
  for (const f of [file, ...rescues.map((n) => join(dir, n))]) {
    await scanJsonl(f, {
      onRecord: (r) => {
        const v = r.value as { orig?: unknown; appended?: unknown; late?: unknown; i?: unknown };
        const key =
          typeof v?.orig === 'number' ? `orig#${v.orig}` : v?.appended === phase ? 'appended' : typeof v?.late === 'string' ? `late-${v.late}#${String(v.i)}` : null;
        if (key === null) invented++;
        else seen.set(key, (seen.get(key) ?? 0) + 1);
      },
    });
  }
  if (rescues.length > 0 && !String(outcome.message).includes(rescues[0] as string)) {
    problems.push(`late bytes saved to ${rescues.join(', ')} but the error does not say so: ${outcome.message}`);
  }
  if (seen.get('appended') !== 1) problems.push(`the acknowledged append is there ${seen.get('appended') ?? 0} times`);
  for (let i = 0; i < ORIGINALS; i++) if (seen.get(`orig#${i}`) !== 1) problems.push(`original record ${i} there ${seen.get(`orig#${i}`) ?? 0} times`);
  // The fixture writes the late lines when it reaches `parsed` (pre) and `renamed` (post).
  for (const [tag, at] of [['pre', 'parsed'], ['post', 'renamed']] as const) {
    const written = child.lines.includes(`phase ${at}`);
    const wrong = [];
    for (let i = 0; i < LATE; i++) if ((seen.get(`late-${tag}#${i}`) ?? 0) !== (written ? 1 : 0)) wrong.push(`${i} x${seen.get(`late-${tag}#${i}`) ?? 0}`);
    if (wrong.length > 0) problems.push(`late ${tag} lines (written: ${written}) not there exactly once: ${wrong.join(', ')}`);
  }
  if (invented > 0) problems.push(`${invented} records that were never written`);
  const kept = readFileSync(file, 'latin1') + (existsSync(`${file}.quarantine`) ? readFileSync(`${file}.quarantine`, 'latin1') : '');
  for (const d of DAMAGED) if (!kept.includes(d)) problems.push(`damaged line ${JSON.stringify(d)} is in neither the file nor the quarantine`);
  const leftovers = readdirSync(dir).filter((n) => n.startsWith(`.${phase}.jsonl.`) || n === `${phase}.jsonl.lock`);
  if (leftovers.length > 0) problems.push(`left behind: ${leftovers.join(', ')}`);
  return { phase, outcome: outcome.ok ? 'completed' : String(outcome.name), problems };
}

test('repair stopped past the stale threshold at every phase never loses an append made meanwhile', { timeout: budgetMs(240_000, 240_000) }, async () => {
  await inTempDir('repair-sigstop', async (tmp) => {
    // A run that stops nowhere lists the phases this file goes through.
    const dry = join(tmp, 'dry.jsonl');
    writeOriginal(dry);
    const lister = startChild(stopper, [dry, '-', join(tmp, 'none')]);
    await exitWithin(lister, 60_000);
    assert.equal(lastJson(lister.lines).ok, true, lister.stderr());
    const phases = [...new Set(lister.lines.filter((l) => l.startsWith('phase ')).map((l) => l.slice(6)))];
    for (const p of ['locked', 'opened', 'chunk', 'parsed', 'temp-synced', 'quarantine-synced', 'carry-over', 'before-rename', 'renamed', 'carry-over-renamed', 'committed']) {
      assert.ok(phases.includes(p), `phase ${p} reached (got ${phases.join(', ')})`);
    }
    // All phases side by side: each waits ~11 s for the stale takeover, mostly asleep.
    const results = await Promise.all(phases.map((p) => stopAt(tmp, p)));
    recordFigures({
      test: 'repair-sigstop',
      injects: `SIGSTOP of a repair for longer than the stale threshold at each of its ${phases.length} phases while session-keeper append takes the lock over`,
      figures: {
        phases: phases.length,
        appendsLost: results.filter((r) => r.problems.some((p) => p.includes('acknowledged append'))).length,
        repairsFailedWithLockCompromised: results.filter((r) => r.outcome === 'LockCompromisedError').length,
        repairsCompleted: results.filter((r) => r.outcome === 'completed').length,
      },
    });
    assert.deepEqual(
      results.filter((r) => r.problems.length > 0),
      [],
    );
  });
});
