// repairJsonlWith (the editor's repair): the same repaired bytes and quarantine as repairJsonl,
// the quarantine on disk before the writer runs, nothing written when the file is not the text
// the caller holds, and a writer that writes something else is caught. Real files, real lock.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { repairJsonl } from '../../src/core/jsonl-repair';
import { repairJsonlWith } from '../../src/core/jsonl-repair-apply';
import { hasErrorCode } from '../../src/core/errors';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sk-apply-'));
  dirs.push(d);
  return d;
}
const readOr = (f: string): Buffer | null => (fs.existsSync(f) ? fs.readFileSync(f) : null);

describe('repairJsonlWith', () => {
  test('any damaged file: same file and quarantine as repairJsonl; quarantine written before the writer', async () => {
    const pieces = fc.constantFrom('{"a":1}', '{"b":"x"}', '[1,2]', '{"t":"to', 'garbage', '', '\r', '\u0000\u0000', '{"a":1}{"b":2}', '\uFEFF', 'é');
    await fc.assert(
      fc.asyncProperty(fc.array(pieces, { minLength: 1, maxLength: 8 }), fc.boolean(), async (lines, finalNl) => {
        const dir = tempDir();
        const bytes = Buffer.from(lines.join('\n') + (finalNl ? '\n' : ''));
        const a = path.join(dir, 'a.jsonl');
        const b = path.join(dir, 'b.jsonl');
        fs.writeFileSync(a, bytes);
        fs.writeFileSync(b, bytes);
        let writes = 0;
        let expected: RepairOutcome | undefined;
        try {
          const viaDisk = await repairJsonl(a);
          expected = { changed: viaDisk.changed, file: fs.readFileSync(a), quarantine: readOr(`${a}.quarantine`) };
        } catch (err) {
          await assert.rejects(repairJsonlWith(b, async () => void writes++), (e: unknown) => (e as { code?: string }).code === (err as { code?: string }).code);
          assert.equal(writes, 0);
          return;
        }
        const result = await repairJsonlWith(b, async (repaired) => {
          writes++;
          // Quarantine first: it is complete on disk when the writer runs.
          assert.deepEqual(readOr(`${b}.quarantine`), expected?.quarantine ?? null);
          fs.writeFileSync(b, repaired);
        });
        assert.equal(result.changed, expected.changed);
        assert.equal(writes, expected.changed ? 1 : 0);
        assert.deepEqual(fs.readFileSync(b), expected.file);
        assert.deepEqual(readOr(`${b}.quarantine`), expected.quarantine);
      }),
      { numRuns: 150 },
    );
  });

  test('the file is not the text the caller holds: nothing written, no quarantine', async () => {
    const dir = tempDir();
    const f = path.join(dir, 'e.jsonl');
    fs.writeFileSync(f, '{"a":1}\ngarbage\n');
    await assert.rejects(
      repairJsonlWith(f, async () => assert.fail('no write'), { expected: Buffer.from('{"a":1}\ngarbage\n\n') }),
      (e: unknown) => hasErrorCode(e, 'EREPAIRMISMATCH'),
    );
    assert.equal(fs.readFileSync(f, 'utf8'), '{"a":1}\ngarbage\n');
    assert.equal(fs.existsSync(`${f}.quarantine`), false);
    await assert.rejects(
      repairJsonlWith(f, async () => assert.fail('no write'), { maxBytes: 4 }),
      (e: unknown) => hasErrorCode(e, 'EREPAIRTOOLARGE'),
    );
  });

  test('a writer that leaves other bytes is reported; the damaged bytes stay in the quarantine', async () => {
    const dir = tempDir();
    const f = path.join(dir, 'e.jsonl');
    fs.writeFileSync(f, '{"a":1}\ngarbage\n');
    await assert.rejects(
      repairJsonlWith(f, async (repaired) => fs.writeFileSync(f, Buffer.concat([Buffer.from('\uFEFF'), repaired]))),
      (e: unknown) => hasErrorCode(e, 'EREPAIRNOTAPPLIED'),
    );
    assert.equal(fs.readFileSync(`${f}.quarantine`, 'utf8'), 'garbage\n');
  });
});

interface RepairOutcome {
  changed: boolean;
  file: Buffer;
  quarantine: Buffer | null;
}
