import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import {
  assertSessionId,
  checkSessionInput,
  checkSessionRecord,
  FORMAT_VERSION,
  InvalidSessionIdError,
  isSessionId,
  LIMITS,
  parseSessionRecord,
  type SessionRecord,
} from '../../src/core/session-record';
import { sessionRecord } from '../helpers/records';
import { defaultSessionsDir, journalPath, recordPath, safeJoin, UnsafePathError } from '../../src/core/paths';

function good(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const at = '2025-03-01T10:00:00.000Z';
  return sessionRecord({
    pid: 1234,
    processStartedAt: '2025-03-01T09:59:58.120Z',
    hostname: 'host-a',
    label: 'window 1',
    workspaceFolders: ['/home/ada/project'],
    tool: 'vscode',
    createdAt: at,
    heartbeatAt: at,
    ...overrides,
  });
}

describe('session record validation', () => {
  test('a complete record is accepted as is, extra fields of newer writers included', () => {
    const value = good({ futureField: { x: 1 } });
    const r = checkSessionRecord(value);
    assert.ok(r.ok);
    assert.equal(r.record.id, value.id);
    assert.equal(FORMAT_VERSION, 1);
    assert.equal(parseSessionRecord(good()).version, 1);
  });

  test('nullable fields accept null and ISO times with offsets', () => {
    assert.ok(checkSessionRecord(good({ processStartedAt: null, closedAt: '2025-03-01T11:00:00+02:00' })).ok);
    assert.ok(checkSessionRecord(good({ heartbeatAt: '2025-03-01T10:00:00.123456Z' })).ok);
    assert.ok(checkSessionRecord(good({ label: '', user: '', tool: '', workspaceFolders: [] })).ok);
  });

  // What buggy tools write, and the field the error must name.
  const buggy: Array<[string, unknown, RegExp]> = [
    ['not an object', 'hello', /expected an object/],
    ['an array', [good()], /an array, expected an object/],
    ['null', null, /null, expected an object/],
    ['missing version', good({ version: undefined }), /"version" is missing/],
    ['version as string', good({ version: '1' }), /"version"/],
    ['newer version', good({ version: 2 }), /format version 2 is newer/],
    ['uppercase id', good({ id: uuidv7().toUpperCase() }), /"id"/],
    ['traversal id', good({ id: '../../etc/passwd' }), /"id"/],
    ['pid as string', good({ pid: '1234' }), /"pid" is "1234"/],
    ['pid 0 (a process group)', good({ pid: 0 }), /"pid" is 0/],
    ['negative pid', good({ pid: -1 }), /"pid"/],
    ['fractional pid', good({ pid: 12.5 }), /"pid"/],
    ['huge pid', good({ pid: 2 ** 40 }), /"pid"/],
    ['epoch-number heartbeat', good({ heartbeatAt: 1740823200000 }), /"heartbeatAt" is 1740823200000/],
    ['local time without offset', good({ createdAt: '2025-03-01 10:00:00' }), /"createdAt"/],
    ['month 13', good({ heartbeatAt: '2025-13-01T10:00:00Z' }), /"heartbeatAt"/],
    ['missing heartbeatAt', good({ heartbeatAt: undefined }), /"heartbeatAt" is missing/],
    ['closedAt false', good({ closedAt: false }), /"closedAt" is false/],
    ['closedAt missing', good({ closedAt: undefined }), /"closedAt" is missing/],
    ['processStartedAt garbage', good({ processStartedAt: 'yesterday' }), /"processStartedAt"/],
    ['empty hostname', good({ hostname: '' }), /"hostname" is empty/],
    ['label a number', good({ label: 7 }), /"label" is 7/],
    ['label with NUL', good({ label: 'a\u0000b' }), /"label" contains a NUL/],
    ['10 MB label', good({ label: 'L'.repeat(10 * 1024 * 1024) }), /"label" is 10485760 characters long, the limit is 1000/],
    ['folders a string', good({ workspaceFolders: '/x' }), /"workspaceFolders"/],
    ['folder not a string', good({ workspaceFolders: ['/x', 3] }), /"workspaceFolders\[1\]"/],
    ['too many folders', good({ workspaceFolders: Array.from({ length: LIMITS.workspaceFolders + 1 }, (_, i) => `/w${i}`) }), /entries, the limit/],
    ['interval zero', good({ heartbeatIntervalMs: 0 }), /"heartbeatIntervalMs" is 0/],
    ['interval string', good({ heartbeatIntervalMs: '10000' }), /"heartbeatIntervalMs"/],
    ['interval Infinity-like', good({ heartbeatIntervalMs: 1e308 }), /"heartbeatIntervalMs"/],
  ];
  for (const [what, value, message] of buggy) {
    test(`rejects ${what}`, () => {
      const r = checkSessionRecord(value);
      assert.equal(r.ok, false);
      assert.match((r as { error: string }).error, message);
      assert.throws(() => parseSessionRecord(value), message);
    });
  }

  test('error messages quote long or hostile values shortly and on one line', () => {
    const r = checkSessionRecord(good({ hostname: 5, label: 'x'.repeat(5000) }));
    assert.ok(!r.ok);
    const r2 = checkSessionRecord(good({ id: `${'a'.repeat(100)}\n` }));
    assert.ok(!r2.ok);
    assert.ok(r2.error.length < 200, r2.error);
    assert.doesNotMatch(r2.error, /\n/);
  });

  test('input for new sessions uses the same limits', () => {
    assert.equal(checkSessionInput({ label: 'ok', workspaceFolders: ['/a'], tool: 't' }), null);
    assert.match(checkSessionInput({ label: 'x'.repeat(LIMITS.label + 1) }) ?? '', /"label"/);
    assert.match(checkSessionInput({ label: 'ok', workspaceFolders: [''] }) ?? '', /workspaceFolders\[0\]/);
    assert.match(checkSessionInput({ label: 'ok', tool: 'a\u0000' }) ?? '', /"tool" contains a NUL/);
  });

  test('the record type names every field of the format', () => {
    const r = parseSessionRecord(good());
    const keys: Array<keyof SessionRecord> = [
      'version', 'id', 'pid', 'processStartedAt', 'hostname', 'user', 'label', 'workspaceFolders', 'tool',
      'createdAt', 'heartbeatAt', 'heartbeatIntervalMs', 'closedAt',
    ];
    assert.deepEqual(Object.keys(r).sort(), [...keys].sort());
  });
});

describe('session ids', () => {
  test('lowercase UUIDs (v7 and others) are ids', () => {
    assert.ok(isSessionId(uuidv7()));
    assert.ok(isSessionId(uuidv4()));
  });

  for (const hostile of ['../x', '/etc/passwd', 'C:\\Windows', 'a\u0000b', '', '..', `${uuidv7()}/../x`, `${uuidv7()}\u0000`, uuidv7().toUpperCase(), ` ${uuidv7()}`, `${uuidv7()}.json`]) {
    test(`refuses ${JSON.stringify(hostile)} with a clear error`, () => {
      assert.equal(isSessionId(hostile), false);
      assert.throws(() => assertSessionId(hostile), InvalidSessionIdError);
      assert.throws(() => recordPath('/tmp/sessions', hostile), /invalid session id .*expected a lowercase UUID/);
      assert.throws(() => journalPath('/tmp/sessions', hostile), /invalid session id/);
    });
  }

  test('non-strings are refused too', () => {
    for (const v of [undefined, null, 42, {}, ['x']]) assert.throws(() => assertSessionId(v), InvalidSessionIdError);
  });

  test('valid ids map to files inside the directory', () => {
    const id = uuidv7();
    assert.equal(recordPath('/tmp/sessions', id), path.join('/tmp/sessions', `${id}.json`));
    assert.equal(journalPath('/tmp/sessions', id), path.join('/tmp/sessions', `${id}.jsonl`));
  });
});

describe('safeJoin', () => {
  for (const bad of ['..', '.', '', 'a/b', 'a\\b', '/abs', 'x\u0000y']) {
    test(`refuses ${JSON.stringify(bad)}`, () => assert.throws(() => safeJoin('/d', bad), UnsafePathError));
  }
  test('joins a plain name', () => assert.equal(safeJoin('/d', 'a.json'), path.join('/d', 'a.json')));
});

describe('defaultSessionsDir', () => {
  test('SESSION_KEEPER_DIR wins everywhere', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const dir = platform === 'win32' ? 'D:\\sk' : '/srv/sk';
      assert.equal(defaultSessionsDir({ SESSION_KEEPER_DIR: dir }, platform, '/home/ada'), dir);
    }
  });
  test('Linux: XDG_STATE_HOME if absolute, else ~/.local/state', () => {
    assert.equal(defaultSessionsDir({ XDG_STATE_HOME: '/xdg' }, 'linux', '/home/ada'), '/xdg/session-keeper/sessions');
    assert.equal(defaultSessionsDir({}, 'linux', '/home/ada'), '/home/ada/.local/state/session-keeper/sessions');
    assert.equal(defaultSessionsDir({ XDG_STATE_HOME: 'relative' }, 'linux', '/home/ada'), '/home/ada/.local/state/session-keeper/sessions');
    assert.equal(defaultSessionsDir({ SESSION_KEEPER_DIR: '' }, 'freebsd', '/home/ada'), '/home/ada/.local/state/session-keeper/sessions');
  });
  test('macOS: ~/Library/Application Support', () => {
    assert.equal(defaultSessionsDir({ XDG_STATE_HOME: '/xdg' }, 'darwin', '/Users/ada'), '/Users/ada/Library/Application Support/session-keeper/sessions');
  });
  test('Windows: %LOCALAPPDATA%, else ~\\AppData\\Local', () => {
    assert.equal(defaultSessionsDir({ LOCALAPPDATA: 'C:\\Users\\ada\\AppData\\Local' }, 'win32', 'C:\\Users\\ada'), 'C:\\Users\\ada\\AppData\\Local\\session-keeper\\sessions');
    assert.equal(defaultSessionsDir({}, 'win32', 'C:\\Users\\ada'), 'C:\\Users\\ada\\AppData\\Local\\session-keeper\\sessions');
  });
  test('defaults come from the real environment', () => {
    assert.equal(typeof defaultSessionsDir(), 'string');
    assert.ok(path.isAbsolute(defaultSessionsDir()));
  });
});
