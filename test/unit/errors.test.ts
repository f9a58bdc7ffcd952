// One error convention in src/core: every error class it exports extends SessionKeeperError and
// carries a stable code, no plain Error is thrown, and nothing recognises an error by its name.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SessionKeeperError, hasErrorCode } from '../../src/core/errors';
import { FileChangedError, HardLinkedFileError } from '../../src/core/repair-commit';
import { JsonlEncodingError } from '../../src/core/jsonl-repair';
import { InvalidRecordError, InvalidSessionIdError, assertSessionId } from '../../src/core/session-record';
import { ProcessNotRunningError, SessionClosedError, SessionNotFoundError, UnsafeDirectoryError } from '../../src/core/session-store';
import { safeJoin, UnsafePathError } from '../../src/core/paths';

/** The compiled core modules (out/src/core) and their TypeScript sources (src/core). */
const outCore = path.join(__dirname, '..', '..', 'src', 'core');
const srcCore = path.join(__dirname, '..', '..', '..', 'src', 'core');


/** Files under `dir` (recursively) whose names end in `ext`, as paths relative to `dir`. */
function filesIn(dir: string, ext: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((n) => n.endsWith(ext) && !n.endsWith(`.d${ext}`));
}

/** Source without comments, so prose about errors is not a hit. */
function code(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

describe('core errors', () => {
  test('every exported error class of every core module extends SessionKeeperError', () => {
    const seen: string[] = [];
    for (const name of filesIn(outCore, '.js')) {
      // Every module, found by listing the folder: a static import list would miss a new one.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(path.join(outCore, name)) as Record<string, unknown>;
      for (const [exported, value] of Object.entries(mod)) {
        if (typeof value !== 'function' || !(value.prototype instanceof Error)) continue;
        seen.push(exported);
        assert.ok(value === SessionKeeperError || value.prototype instanceof SessionKeeperError, `${name}: ${exported} does not extend SessionKeeperError`);
      }
    }
    // The sweep found the classes (a broken require path would pass vacuously).
    for (const expected of ['SessionNotFoundError', 'InvalidRecordError', 'FileChangedError', 'JsonlEncodingError', 'RegularFileReadError', 'NotRegularFileError', 'RecordLoadError', 'InvalidArchiveDayError', 'LockTimeoutError', 'LockCompromisedError']) {
      assert.ok(seen.includes(expected), `${expected} not found among ${seen.join(', ')}`);
    }
  });

  test('no core source throws or builds a plain Error', { skip: !existsSync(srcCore) && 'sources not beside out/' }, () => {
    const offenders: string[] = [];
    for (const name of filesIn(srcCore, '.ts')) {
      code(path.join(srcCore, name))
        .split('\n')
        .forEach((line, i) => {
          if (/\bnew Error\(/.test(line) || /\bclass \w+ extends Error\b/.test(line)) offenders.push(`${name}:${i + 1}: ${line.trim()}`);
        });
    }
    // errors.ts itself: the base class is the one place that extends Error.
    assert.deepEqual(offenders.filter((o) => !o.startsWith('errors.ts:')), []);
  });

  test('nothing in src recognises an error by comparing its name', { skip: !existsSync(srcCore) && 'sources not beside out/' }, () => {
    const srcRoot = path.dirname(srcCore);
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts') && /\.name\s*[!=]==?\s*'[A-Za-z]*Error'|'[A-Za-z]*Error'\s*[!=]==?\s*[\w.]*\.name\b/.test(code(p))) {
          offenders.push(path.relative(srcRoot, p));
        }
      }
    };
    walk(srcRoot);
    assert.deepEqual(offenders, []);
  });

  test('each error carries its stable code, its class name and a message', () => {
    const cases: Array<[SessionKeeperError, string, string]> = [
      [new SessionNotFoundError('x', '/d'), 'ESESSIONNOTFOUND', 'SessionNotFoundError'],
      [new SessionClosedError('x'), 'ESESSIONCLOSED', 'SessionClosedError'],
      [new UnsafeDirectoryError('m'), 'EUNSAFEDIR', 'UnsafeDirectoryError'],
      [new ProcessNotRunningError(1), 'EPROCESSNOTRUNNING', 'ProcessNotRunningError'],
      [new InvalidRecordError('m'), 'EINVALIDRECORD', 'InvalidRecordError'],
      [new InvalidSessionIdError('x'), 'EINVALIDSESSIONID', 'InvalidSessionIdError'],
      [new FileChangedError('/f', 'why'), 'EFILECHANGED', 'FileChangedError'],
      [new HardLinkedFileError('/f', 2), 'EHARDLINKED', 'HardLinkedFileError'],
      [new JsonlEncodingError('/f', 'UTF-16LE'), 'EJSONLENCODING', 'JsonlEncodingError'],
      [new UnsafePathError('m'), 'EUNSAFEPATH', 'UnsafePathError'],
    ];
    for (const [err, errCode, name] of cases) {
      assert.ok(err instanceof SessionKeeperError && err instanceof Error);
      assert.equal(err.code, errCode);
      assert.equal(err.name, name);
      assert.ok(err.message.length > 0);
      assert.ok(hasErrorCode(err, errCode));
      assert.equal(hasErrorCode(err, 'EOTHER'), false);
    }
    assert.equal(hasErrorCode(Object.assign(new Error('x'), { code: 'ESESSIONCLOSED' }), 'ESESSIONCLOSED'), false);
  });

  test('thrown errors are the classes the docs name', () => {
    assert.throws(() => assertSessionId('../x'), (e: unknown) => hasErrorCode(e, 'EINVALIDSESSIONID'));
    assert.throws(() => safeJoin('/d', '..'), (e: unknown) => hasErrorCode(e, 'EUNSAFEPATH'));
  });
});
