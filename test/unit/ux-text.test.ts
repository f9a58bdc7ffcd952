// The words people read: the one number/percent formatter (CLI and extension), problem
// sentences, "did you mean …", system errors in words, and the CLI printing them (real process).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI } from '../helpers/processes';
import fc from 'fast-check';
import { formatCount, formatPercent } from '../../src/core/number-format';
import { describeProblem, firstInvalidUtf8, invalidJsonReason } from '../../src/core/problem-text';
import { closest, editDistance } from '../../src/cli/suggest';
import { errorText } from '../../src/core/error-text';


function cli(args: string[], cwd = os.tmpdir()): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('numbers', () => {
  test('counts have thousands separators', () => {
    assert.equal(formatCount(1484536), '1,484,536');
    assert.equal(formatCount(0), '0');
    assert.equal(formatCount(999), '999');
    assert.equal(formatCount(1000), '1,000');
    assert.equal(formatCount(Number.NaN), '?');
  });

  test('percentages: the examples', () => {
    const cases: [number, string][] = [
      [0, '0%'],
      [1, '100%'],
      [2 / 7, '29%'],
      [0.025, '2.5%'],
      [0.0001, '<0.1%'],
      [0.9999, '>99.9%'],
      [0.1, '10%'],
      [0.0996, '10%'],
      [0.0994, '9.9%'],
    ];
    for (const [ratio, text] of cases) assert.equal(formatPercent(ratio), text, String(ratio));
  });

  test('percentages: a non-zero share never reads 0, a partial one never 100, and order is kept', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (a, b) => {
        const ta = formatPercent(a);
        if (a > 0) assert.notEqual(ta, '0%');
        if (a < 1) assert.notEqual(ta, '100%');
        assert.match(ta, /^(<|>)?\d+(\.\d)?%$/);
        // Monotone: a larger share never reads as a smaller number.
        const num = (t: string): number => Number(t.replace(/[<>%]/g, '')) + (t.startsWith('<') ? -0.01 : t.startsWith('>') ? 0.01 : 0);
        if (a < b) assert.ok(num(ta) <= num(formatPercent(b)), `${a} → ${ta}, ${b} → ${formatPercent(b)}`);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('problem sentences', () => {
  const problem = (kind: 'invalid-json' | 'invalid-utf8', offset: number, length: number) => ({ kind, line: 1, offset, length, message: '' });

  test('why a line is not JSON, from its text', () => {
    assert.equal(invalidJsonReason('{"seq":3,"event":"ti'), 'open-string');
    assert.equal(invalidJsonReason('{"seq":3,"ev":{"a":1}'), 'cut-off');
    assert.equal(invalidJsonReason('"x":1}'), 'extra-close');
    assert.equal(invalidJsonReason('1,"b":2}'), 'extra-close');
    assert.equal(invalidJsonReason('garbage line'), 'not-json');
    assert.equal(invalidJsonReason('{"s":"a \\" {"'), 'cut-off');
    // Brackets or quotes in text that is no beginning of JSON were not cut off by a torn write.
    assert.equal(invalidJsonReason('\u001b[31m'), 'not-json');
    assert.equal(invalidJsonReason('[INFO] started {'), 'not-json');
    assert.equal(invalidJsonReason('{"a":"tab\there'), 'not-json');
    assert.equal(invalidJsonReason('say "hi'), 'not-json');
    assert.equal(invalidJsonReason('{"a":tru'), 'cut-off');
  });

  test('"probably a torn write" is said exactly of the beginnings of JSON values that stop early', () => {
    // Every proper prefix of a record that stops inside a string or a bracket is torn; the same
    // prefix behind a byte no JSON value starts with is not.
    const record = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)).filter((s) => s.startsWith('{') || s.startsWith('['));
    fc.assert(
      fc.property(record, fc.nat(), fc.constantFrom('\u001b', '#', 'x', '<'), (json, cut, junk) => {
        const prefix = json.slice(0, 1 + (cut % (json.length - 1)));
        const reason = invalidJsonReason(prefix);
        assert.ok(reason === 'open-string' || reason === 'cut-off', `${prefix}: ${reason}`);
        const other = invalidJsonReason(junk + prefix);
        assert.ok(other === 'not-json' || other === 'extra-close', `${junk}${prefix}: ${other}`);
      }),
      { numRuns: 500 },
    );
    assert.equal(
      describeProblem(problem('invalid-json', 0, 20), Buffer.from('{"seq":3,"event":"ti')),
      'line ends inside a string: probably a torn write (20 bytes)',
    );
    assert.equal(describeProblem(problem('invalid-json', 0, 1_484_536)), 'not a JSON value (1,484,536 bytes)');
  });

  test('invalid UTF-8 names the file offset of the first bad byte', () => {
    const span = Buffer.concat([Buffer.from('{"a":"ok'), Buffer.from([0xff]), Buffer.from('"}')]);
    assert.equal(describeProblem(problem('invalid-utf8', 9, span.length), span), 'invalid UTF-8 at byte 17');
  });

  test('firstInvalidUtf8 agrees with a fatal TextDecoder on any bytes', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const valid = (b: Uint8Array): boolean => {
      try {
        decoder.decode(b);
        return true;
      } catch {
        return false;
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), fc.string({ unit: 'grapheme', maxLength: 8 }), (junk, text) => {
        const bytes = Buffer.concat([Buffer.from(text), junk]);
        const at = firstInvalidUtf8(bytes);
        assert.equal(at === -1, valid(bytes));
        if (at >= 0) {
          assert.ok(valid(bytes.subarray(0, at)), 'everything before it is valid');
          assert.ok(at >= Buffer.byteLength(text), 'the text part is valid');
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('did you mean', () => {
  const commands = ['list', 'register', 'heartbeat', 'close', 'run', 'archive', 'append', 'check', 'repair', 'mcp', 'help'];
  test('typos find the command; other words find nothing', () => {
    const cases: [string, string | undefined][] = [
      ['lsit', 'list'],
      ['chek', 'check'],
      ['reapir', 'repair'],
      ['hearbeat', 'heartbeat'],
      ['arch', 'archive'],
      ['registr', 'register'],
      ['LIST', 'list'],
      ['deploy', undefined],
      ['x', undefined],
      ['', undefined],
    ];
    for (const [input, want] of cases) assert.equal(closest(input, commands), want, input);
  });

  test('closest is the nearest name within reach, whatever the input (long ones answered at once)', () => {
    // The plain definition: every candidate's distance, the first of the smallest, if within reach.
    const reference = (input: string): string | undefined => {
      if (input === '') return undefined;
      const prefixed = commands.filter((c) => c.startsWith(input.toLowerCase()));
      if (prefixed.length === 1) return prefixed[0];
      const reach = input.length <= 4 ? 1 : input.length <= 8 ? 2 : 3;
      let best: string | undefined;
      let bestDistance = Infinity;
      for (const c of commands) {
        const d = editDistance(input, c);
        if (d < bestDistance) [best, bestDistance] = [c, d];
      }
      return bestDistance <= reach ? best : undefined;
    };
    const letters = fc.constantFrom(...'acehiklmnprstuvx');
    fc.assert(
      fc.property(fc.array(letters, { maxLength: 14 }), (chars) => {
        const input = chars.join('');
        assert.equal(closest(input, commands), reference(input), input);
      }),
      { numRuns: 2000 },
    );
    assert.equal(closest('a'.repeat(1_000_000), commands), undefined);
    assert.equal(closest(`${'x'.repeat(1_000_000)}check`, commands), undefined);
  });

  test('edit distance: a swap of neighbours is one edit, and distance is symmetric', () => {
    assert.equal(editDistance('chekc', 'check'), 1);
    fc.assert(
      fc.property(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), (a, b) => {
        assert.equal(editDistance(a, b), editDistance(b, a));
        assert.equal(editDistance(a, a), 0);
        assert.ok(editDistance(a, b) <= Math.max(a.length, b.length));
      }),
    );
  });
});

describe('system errors in words', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sk-ux-text-'));
  test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const thrown = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (err) {
      return err;
    }
    assert.fail('expected a throw');
  };

  test('real errors from the file system read as sentences that keep their code', () => {
    const missingParent = path.join(tmp, 'no-such-folder', 'deeper', 'events.jsonl');
    assert.equal(errorText(thrown(() => fs.openSync(missingParent, 'a'))), `the folder ${path.join(tmp, 'no-such-folder')} does not exist (needed for ${missingParent}); create it first (ENOENT)`);
    const missing = path.join(tmp, 'missing.jsonl');
    assert.equal(errorText(thrown(() => fs.readFileSync(missing))), `${missing} does not exist (ENOENT)`);
    assert.equal(errorText(thrown(() => fs.readFileSync(tmp))), 'a folder was given where a file is needed (EISDIR)');
    assert.equal(errorText(thrown(() => fs.openSync(tmp, 'a'))), `${tmp} is a folder, not a file (EISDIR)`);
    const file = path.join(tmp, 'a-file');
    fs.writeFileSync(file, '');
    assert.equal(errorText(thrown(() => fs.readFileSync(path.join(file, 'x')))), `a part of ${path.join(file, 'x')} is a file where a folder is needed (ENOTDIR)`);
    assert.equal(errorText(thrown(() => fs.mkdirSync(file))), `${file} already exists (EEXIST)`);
    // ELOOP both ways: a link refused with O_NOFOLLOW, and a path that loops through links.
    const link = path.join(tmp, 'a-link');
    fs.symlinkSync(file, link);
    const loop = path.join(tmp, 'loop');
    fs.symlinkSync(loop, loop);
    const eloop = /^.+ is a symbolic link where Session Keeper follows none, or its path loops through symbolic links \(ELOOP\)$/;
    assert.match(errorText(thrown(() => fs.openSync(link, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW))), eloop);
    assert.match(errorText(thrown(() => fs.readFileSync(path.join(loop, 'x')))), eloop);
    // A wrapper that repeats its cause's raw message gets the cause in words.
    const cause = thrown(() => fs.readFileSync(missing)) as Error;
    assert.equal(errorText(new Error(`cannot load: ${cause.message}`, { cause })), `cannot load: ${missing} does not exist (ENOENT)`);
    // Not a system error: the message as written.
    assert.equal(errorText(new Error('plain')), 'plain');
  });

  test('a call on two paths (rename, link, symlink, copy) names the path that failed, source or destination', () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'two-paths-'));
    const src = path.join(dir, 'events.jsonl');
    fs.writeFileSync(src, '{}\n');
    const taken = path.join(dir, 'taken.jsonl');
    fs.writeFileSync(taken, '');
    const folder = path.join(dir, 'folder');
    fs.mkdirSync(path.join(folder, 'inside'), { recursive: true });
    const emptyFolder = path.join(dir, 'empty');
    fs.mkdirSync(emptyFolder);
    const gone = path.join(dir, 'gone');
    const intoGone = path.join(gone, 'events.jsonl');
    const missing = path.join(dir, 'missing.jsonl');
    const cases: [string, () => unknown, string][] = [
      ['rename into a missing folder', () => fs.renameSync(src, intoGone), `the folder ${gone} does not exist (needed for ${intoGone}); create it first (ENOENT)`],
      ['copy into a missing folder', () => fs.copyFileSync(src, intoGone), `the folder ${gone} does not exist (needed for ${intoGone}); create it first (ENOENT)`],
      ['hard link into a missing folder', () => fs.linkSync(src, intoGone), `the folder ${gone} does not exist (needed for ${intoGone}); create it first (ENOENT)`],
      ['symbolic link into a missing folder', () => fs.symlinkSync('anything', intoGone), `the folder ${gone} does not exist (needed for ${intoGone}); create it first (ENOENT)`],
      ['rename of a missing source', () => fs.renameSync(missing, path.join(dir, 'new.jsonl')), `${missing} does not exist (ENOENT)`],
      ['hard link onto an existing name', () => fs.linkSync(src, taken), `${taken} already exists (EEXIST)`],
      ['symbolic link onto an existing name', () => fs.symlinkSync(src, taken), `${taken} already exists (EEXIST)`],
      ['rename of a file onto a folder', () => fs.renameSync(src, folder), `${folder} is a folder, not a file (EISDIR)`],
      ['rename of a folder onto a non-empty folder', () => fs.renameSync(emptyFolder, folder), `${folder} is a folder that is not empty (ENOTEMPTY)`],
    ];
    for (const [what, fn, sentence] of cases) assert.equal(errorText(thrown(fn)), sentence, what);
    // Every sentence names a path that is at fault: the source is still there in each case but one.
    assert.ok(fs.existsSync(src));
  });

  test('every errno message the CLI can print for a bad path is a sentence, not "ENOENT: …"', () => {
    const missingParent = path.join(tmp, 'gone', 'events.jsonl');
    for (const args of [
      ['append', missingParent, '{"a":1}'],
      ['check', path.join(tmp, 'missing.jsonl')],
      ['repair', path.join(tmp, 'missing.jsonl')],
      ['check', tmp],
    ]) {
      const r = cli(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\bE[A-Z]+: /, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /, (open|stat|lstat|mkdir|scandir) '/, `${args.join(' ')}: ${r.stderr}`);
    }
    assert.match(cli(['append', missingParent, '{"a":1}']).stderr, /the folder .*gone does not exist \(needed for .*events\.jsonl\); create it first \(ENOENT\)/);
    assert.equal(fs.existsSync(path.join(tmp, 'gone')), false, 'nothing was created');
  });

  test('an empty FILE or --dir is a usage error, never the working folder', () => {
    // Run inside a folder with a file in it: '' joined to the working folder names that folder.
    const cwd = fs.mkdtempSync(path.join(tmp, 'empty-arg-'));
    fs.writeFileSync(path.join(cwd, 'keep.jsonl'), '{"a":1}\n');
    const cases: [string[], RegExp][] = [
      [['check', ''], /^session-keeper: check: FILE is empty; give a path\n/],
      [['repair', ''], /^session-keeper: repair: FILE is empty; give a path\n/],
      [['append', '', '{"a":1}'], /^session-keeper: append: FILE is empty; give a path\n/],
      [['list', '--dir', ''], /^session-keeper: list: --dir is empty; give a path\n/],
      [['list', '--dir='], /^session-keeper: list: --dir is empty; give a path\n/],
      [['check', '--dir', '', 'keep.jsonl'], /^session-keeper: check: --dir is empty; give a path\n/],
      [['--dir=', 'list'], /^session-keeper: option --dir needs a non-empty directory\n/],
    ];
    for (const [args, message] of cases) {
      const r = cli(args, cwd);
      assert.equal(r.status, 2, `${JSON.stringify(args)}: ${r.stderr}`);
      assert.match(r.stderr, message, JSON.stringify(args));
      assert.equal(r.stdout, '', JSON.stringify(args));
    }
    assert.deepEqual(fs.readdirSync(cwd), ['keep.jsonl'], 'nothing was written');
  });

  test('the CLI suggests the command and the option meant', () => {
    assert.match(cli(['lsit']).stderr, /unknown command "lsit" \(did you mean list\?\)/);
    assert.match(cli(['check', '--jsn', 'x.jsonl']).stderr, /Unknown option '--jsn' \(did you mean --json\?\)/);
    assert.match(cli(['--dri', 'x', 'list']).stderr, /unknown option --dri \(did you mean --dir\?\)/);
    assert.match(cli(['-v']).stderr, /unknown option -v \(did you mean -V\?\)/);
    assert.match(cli(['--registy', 'x', 'list']).stderr, /unknown option --registy \(did you mean --registry\?\)/);
    assert.match(cli(['deploy']).stderr, /unknown command "deploy"; see session-keeper --help/);
  });

  test('"--" ends the options before the command, as in other tools', () => {
    const file = path.join(tmp, 'dashes.jsonl');
    fs.writeFileSync(file, '{"a":1}\n{"a":\n');
    const plain = cli(['check', file]);
    const dashed = cli(['--', 'check', file]);
    assert.equal(plain.status, 1, plain.stderr);
    assert.deepEqual([dashed.status, dashed.stdout, dashed.stderr], [plain.status, plain.stdout, plain.stderr]);
    assert.match(cli(['--']).stdout + cli(['--']).stderr, /usage|Usage|session-keeper/);
  });

  test('check words each problem and formats its numbers and percentage', () => {
    const file = path.join(tmp, 'events.jsonl');
    fs.writeFileSync(file, Buffer.concat([Buffer.from('{"a":1}\n{"a":"b\n'), Buffer.from([0x7b, 0xff, 0x7d, 0x0a]), Buffer.from('{"a":2}\n')]));
    const r = cli(['check', file]);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /2 corrupted of 4 lines \(50%\)/);
    assert.match(r.stdout, /line 2, byte 8: invalid-json: line ends inside a string: probably a torn write \(7 bytes\)/);
    assert.match(r.stdout, /line 3, byte 16: invalid-utf8: invalid UTF-8 at byte 17/);
  });
});
