// Choosing a registry: location parsing, the precedence of options, environment and config file,
// password files, and credentials kept out of what is shown and passed on.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseRegistry, configFilePath, envWithoutCredentials, readPasswordFile, readRegistryConfig } from '../../src/core/registry-config';
import { RegistryConfigError, RegistryPasswordFileError, UnsupportedRegistryError } from '../../src/core/registry-errors';
import { parseRegistryLocation, redactUrl, type RedisLocation } from '../../src/core/registry-location';
import { cleanupTracked, cli, trackDir } from '../helpers/processes';

afterEach(cleanupTracked);

const tmp = (): string => trackDir(fs.mkdtempSync(path.join(os.tmpdir(), 'sk-config-')));

describe('registry locations', () => {
  test('Redis URLs: host, port, db, user, password, prefix, TLS; shown without the password', () => {
    const loc = parseRegistryLocation('rediss://alice:p%40ss@redis.example:6380/3?prefix=team-a') as RedisLocation;
    assert.deepEqual(
      { ...loc },
      { kind: 'redis', tls: true, host: 'redis.example', port: 6380, db: 3, username: 'alice', password: 'p@ss', prefix: 'team-a', display: 'rediss://alice@redis.example:6380/3?prefix=team-a' },
    );
    const plain = parseRegistryLocation('redis://[::1]') as RedisLocation;
    assert.equal(plain.host, '::1');
    assert.equal(plain.port, 6379);
    assert.equal(plain.db, 0);
    assert.equal(plain.prefix, 'session-keeper');
    assert.equal(plain.display, 'redis://[::1]:6379/0');
  });

  test('directories and file: URLs', () => {
    assert.deepEqual(parseRegistryLocation('rel/dir', '/base'), { kind: 'directory', dir: '/base/rel/dir' });
    assert.deepEqual(parseRegistryLocation('file:///x/y'), { kind: 'directory', dir: '/x/y' });
    assert.deepEqual(parseRegistryLocation(new URL('file:///x/z')), { kind: 'directory', dir: '/x/z' });
  });

  test('malformed and unsupported locations are refused, the password never in the message', () => {
    const bad = [
      'https://example.invalid/x',
      'redis://u:topsecret@host:6379/notadb',
      'redis://u:topsecret@host/0?prefix=has space',
      'redis://u:topsecret@host/0?db=1',
      'redis://u:topsecret@host/0#frag',
      'redis://u:topsecret@:6379/0',
      'redis://u:topsecret@host:99999/0',
      '',
    ];
    for (const text of bad) {
      assert.throws(
        () => parseRegistryLocation(text),
        (err: unknown) => err instanceof UnsupportedRegistryError && err.code === 'EREGISTRYURL' && !err.message.includes('topsecret'),
        text,
      );
    }
    assert.equal(redactUrl('see redis://u:topsecret@h:1/0 and rediss://:x@h'), 'see redis://u:***@h:1/0 and rediss://:***@h');
  });
});

describe('choosing the registry', () => {
  const configWith = (content: object | string): string => {
    const file = path.join(tmp(), 'config.json');
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };

  test('precedence: --registry, --dir, $SESSION_KEEPER_REGISTRY, $SESSION_KEEPER_DIR, the config file, the default', () => {
    const configFile = configWith({ registry: 'redis://from-config/0', registryPasswordFile: 'pw' });
    const env = { SESSION_KEEPER_REGISTRY: 'redis://from-env/0', SESSION_KEEPER_DIR: '/from/env-dir', HOME: '/home/u' };
    const pick = (inputs: Parameters<typeof chooseRegistry>[0]): string => {
      const c = chooseRegistry({ cwd: '/cwd', configFile, ...inputs });
      return `${c.source} ${c.location.kind === 'redis' ? c.location.host : c.location.dir}`;
    };
    assert.equal(pick({ registry: 'redis://from-flag/0', dir: '/d', env }), '--registry from-flag');
    assert.equal(pick({ dir: 'd', env }), '--dir /cwd/d');
    assert.equal(pick({ setting: 'redis://from-setting/0', env }), 'setting from-setting');
    assert.equal(pick({ env }), 'SESSION_KEEPER_REGISTRY from-env');
    assert.equal(pick({ env: { ...env, SESSION_KEEPER_REGISTRY: '' } }), 'SESSION_KEEPER_DIR /from/env-dir');
    assert.equal(pick({ env: { HOME: '/home/u' } }), 'config file from-config');
    assert.match(pick({ env: { HOME: '/home/u' }, configFile: null }), /^default .*session-keeper\/sessions$/);
  });

  test('the config file\'s password file goes only to the config file\'s registry', () => {
    const configFile = configWith({ registry: 'redis://from-config/0', registryPasswordFile: 'pw' });
    const fromConfig = chooseRegistry({ configFile, env: {} });
    assert.equal(fromConfig.passwordFile, path.join(path.dirname(configFile), 'pw'));
    assert.equal(chooseRegistry({ configFile, env: { SESSION_KEEPER_REGISTRY: 'redis://other/0' } }).passwordFile, undefined);
    assert.equal(chooseRegistry({ configFile, env: {}, passwordFile: 'mine', cwd: '/c', registry: 'redis://x/0' }).passwordFile, '/c/mine');
    assert.equal(chooseRegistry({ configFile, env: {}, passwordFile: 'mine', dir: '/d' }).passwordFile, undefined, 'no password for a directory');
  });

  test('a broken config file is an error naming it, not a silent default', () => {
    for (const content of ['{not json', '[]', JSON.stringify({ registry: 42 }), JSON.stringify({ registryPasswordFile: '' })]) {
      const file = configWith(content);
      assert.throws(() => readRegistryConfig(file), (err: unknown) => err instanceof RegistryConfigError && err.message.includes(file), content);
    }
    assert.equal(readRegistryConfig(path.join(tmp(), 'missing.json')), null);
  });

  test('config file locations by platform', () => {
    assert.equal(configFilePath({ XDG_CONFIG_HOME: '/xdg' }, 'linux', '/h'), '/xdg/session-keeper/config.json');
    assert.equal(configFilePath({ XDG_CONFIG_HOME: 'relative' }, 'linux', '/h'), '/h/.config/session-keeper/config.json');
    assert.equal(configFilePath({}, 'darwin', '/h'), '/h/Library/Application Support/session-keeper/config.json');
    assert.equal(configFilePath({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u'), 'C:\\Users\\u\\AppData\\Roaming\\session-keeper\\config.json');
    assert.equal(configFilePath({ SESSION_KEEPER_CONFIG: '/etc/sk.json' }, 'linux', '/h'), '/etc/sk.json');
  });

  test('password files: one line, private, not empty', { skip: process.platform === 'win32' }, () => {
    const dir = tmp();
    const write = (name: string, text: string, mode: number): string => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, text, { mode });
      fs.chmodSync(file, mode);
      return file;
    };
    assert.equal(readPasswordFile(write('a', 'secret\n', 0o600)), 'secret');
    assert.equal(readPasswordFile(write('b', 'secret\r\n', 0o400)), 'secret');
    for (const [name, text, mode, why] of [
      ['c', 'secret', 0o644, /chmod 600/],
      ['d', '', 0o600, /empty/],
      ['e', 'two\nlines\n', 0o600, /more than one line/],
    ] as const) {
      assert.throws(() => readPasswordFile(write(name, text, mode)), (err: unknown) => err instanceof RegistryPasswordFileError && why.test(err.message) && !err.message.includes('secret'));
    }
    assert.throws(() => readPasswordFile(path.join(dir, 'none')), /no such file/);
  });

  test('a child environment keeps the registry but not its password', () => {
    const env = envWithoutCredentials({ SESSION_KEEPER_REGISTRY: 'redis://u:pw@h:1/2?prefix=p', REDISCLI_AUTH: 'pw', OTHER: 'x' });
    assert.deepEqual(env, { SESSION_KEEPER_REGISTRY: 'redis://u@h:1/2?prefix=p', OTHER: 'x' });
    assert.deepEqual(envWithoutCredentials({ SESSION_KEEPER_REGISTRY: 'redis://u:pw@h:1/notadb' }), {}, 'unparseable: dropped whole');
    assert.deepEqual(envWithoutCredentials({ SESSION_KEEPER_REGISTRY: '/a/dir' }), { SESSION_KEEPER_REGISTRY: '/a/dir' });
  });

  test('the CLI reads the config file, and --dir after the command wins over it', async () => {
    const dir = path.join(tmp(), 'from-config');
    const configFile = configWith({ registry: dir });
    const env = { SESSION_KEEPER_CONFIG: configFile, SESSION_KEEPER_REGISTRY: '' };
    const viaConfig = await cli(['list'], env);
    assert.equal(viaConfig.code, 0, viaConfig.stderr);
    assert.equal(viaConfig.stdout, `No sessions in ${dir}\n`);
    const other = path.join(tmp(), 'other');
    const viaDir = await cli(['list', '--dir', other], env);
    assert.equal(viaDir.stdout, `No sessions in ${other}\n`);
    const broken = await cli(['list'], { ...env, SESSION_KEEPER_CONFIG: configWith('{') });
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /registry configuration .*config\.json: not valid JSON/);
    // Commands that use no registry do not read it.
    const check = await cli(['check', configFile], { ...env, SESSION_KEEPER_CONFIG: configWith('{') });
    assert.equal(check.code, 0, check.stderr);
  });
});
