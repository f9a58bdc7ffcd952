import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  isProcessAlive,
  parseProcStatBootTime,
  parseProcStatStartTicks,
  parsePsStatTable,
  procListsAllPids,
  ProcessProbe,
} from '../../src/core/process-info';
import { PROCESS_START_TOLERANCE_MS } from '../../src/core/liveness';
import { tempDir } from '../helpers/processes';

const linux = process.platform === 'linux';

/** A child that has exited and been reaped: its pid is dead (until the OS reuses it). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  const pid = child.pid as number;
  await once(child, 'exit');
  return pid;
}

describe('isProcessAlive', () => {
  test('this process is alive', () => assert.equal(isProcessAlive(process.pid), true));

  test('a spawned-then-exited child is dead', async () => {
    assert.equal(isProcessAlive(await deadPid()), false);
  });

  test('a running child is alive, and dead once killed', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await once(child, 'spawn');
    assert.equal(isProcessAlive(child.pid as number), true);
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.equal(isProcessAlive(child.pid as number), false);
  });

  test('pid 1 (init) is alive', { skip: process.platform === 'win32' }, () => {
    assert.equal(isProcessAlive(1), true);
  });

  test(
    'another user\u2019s process (kill gives EPERM) counts as alive',
    { skip: (process.getuid?.() !== 0 || !fs.existsSync('/usr/bin/setpriv')) && 'needs root and setpriv to act as another user' },
    () => {
      // process-info.js needs only Node built-ins, so a copy in a world-readable dir is enough
      // for user "nobody" to load it.
      const dir = tempDir('eperm');
      try {
        fs.chmodSync(dir, 0o755);
        fs.copyFileSync(path.join(__dirname, '..', '..', 'src', 'core', 'process-info.js'), path.join(dir, 'process-info.js'));
        const probe = `
          const { isProcessAlive } = require(${JSON.stringify(path.join(dir, 'process-info.js'))});
          let code = null;
          try { process.kill(${process.pid}, 0); } catch (e) { code = e.code; }
          process.stdout.write(JSON.stringify({ code, alive: isProcessAlive(${process.pid}) }));`;
        const r = spawnSync('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', probe], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout), { code: 'EPERM', alive: true });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  test('pid 0 and negative pids (process groups) are never signalled and count as dead', () => {
    for (const pid of [0, -1, -process.pid, 1.5, Number.NaN, 2 ** 40]) assert.equal(isProcessAlive(pid), false, String(pid));
  });
});

describe('process start times', () => {
  test('this process has a start time close to when Node started', { skip: process.platform === 'win32' }, async () => {
    const started = await new ProcessProbe().startTime(process.pid);
    assert.notEqual(started, null);
    const expected = Date.now() - process.uptime() * 1000;
    assert.ok(Math.abs((started as number) - expected) < PROCESS_START_TOLERANCE_MS, `${started} vs ${expected}`);
  });

  test('the /proc and ps methods agree on this process', { skip: !linux }, async () => {
    const viaProc = await new ProcessProbe({ method: 'proc' }).startTime(process.pid);
    const viaPs = await new ProcessProbe({ method: 'ps' }).startTime(process.pid);
    assert.notEqual(viaProc, null);
    assert.notEqual(viaPs, null);
    assert.ok(Math.abs((viaProc as number) - (viaPs as number)) < PROCESS_START_TOLERANCE_MS, `${viaProc} vs ${viaPs}`);
  });

  test('a dead pid has no start time; method "none" knows none', async () => {
    const pid = await deadPid();
    assert.equal(await new ProcessProbe().startTime(pid), null);
    assert.deepEqual(await new ProcessProbe().facts(pid), { alive: false, startedAt: null });
    assert.equal(await new ProcessProbe({ method: 'none' }).startTime(process.pid), null);
  });

  test('a child started later has a later start time than this process', { skip: process.platform === 'win32' }, async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await once(child, 'spawn');
    try {
      const probe = new ProcessProbe();
      const facts = await probe.facts(child.pid as number);
      assert.equal(facts.alive, true);
      const own = await probe.startTime(process.pid);
      assert.ok(facts.startedAt !== null && own !== null && facts.startedAt >= own - PROCESS_START_TOLERANCE_MS);
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });

  test('the probe answers a pid from its cache within one probe', { skip: !linux }, async () => {
    const probe = new ProcessProbe({ method: 'proc' });
    const a = probe.startTime(process.pid);
    assert.equal(probe.startTime(process.pid), a, 'same promise');
  });
});

describe('parsers', () => {
  test('/proc/<pid>/stat: comm with spaces and parentheses', () => {
    const rest = 'S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 20 21';
    assert.equal(parseProcStatStartTicks(`42 (my (weird) name) ) ${rest}`), 987654);
    assert.equal(parseProcStatStartTicks(`42 (plain) ${rest}`), 987654);
    assert.equal(parseProcStatStartTicks('42 (truncated) S 1 2'), null);
    assert.equal(parseProcStatStartTicks('no parenthesis'), null);
  });

  test('the real /proc/self/stat parses', { skip: !linux }, () => {
    const ticks = parseProcStatStartTicks(fs.readFileSync('/proc/self/stat', 'latin1'));
    assert.ok(ticks !== null && ticks > 0);
  });

  test('/proc/stat btime', () => {
    assert.equal(parseProcStatBootTime('cpu  1 2 3\nbtime 1700000000\nprocesses 5\n'), 1_700_000_000_000);
    assert.equal(parseProcStatBootTime('cpu 1\n'), null);
  });

  test('ps -o pid= -o stat= -o lstart= output (local time, state)', () => {
    const table = parsePsStatTable('    1 Ss   Tue Mar  5 10:11:12 2024\n12345 Z+ Wed Dec 25 01:02:03 2024\ngarbage\n');
    assert.deepEqual(table.get(1), { state: 'Ss', startedAt: new Date(2024, 2, 5, 10, 11, 12).getTime() });
    assert.deepEqual(table.get(12345), { state: 'Z+', startedAt: new Date(2024, 11, 25, 1, 2, 3).getTime() });
    assert.equal(table.size, 2);
  });

  test('/proc mount options: hidepid hides other users\u2019 pids', () => {
    const line = (opts: string): string => `22 27 0:21 / /proc rw,relatime shared:12 - proc proc ${opts}`;
    assert.equal(procListsAllPids(line('rw')), true);
    assert.equal(procListsAllPids(line('rw,hidepid=0')), true);
    assert.equal(procListsAllPids(line('rw,hidepid=2')), false);
    assert.equal(procListsAllPids(line('rw,hidepid=invisible')), false);
    assert.equal(procListsAllPids('25 1 8:1 / / rw - ext4 /dev/sda1 rw'), false, 'no /proc mount');
  });
});
