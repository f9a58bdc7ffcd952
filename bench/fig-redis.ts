// Figure 8: the registry on Redis beside the sessions directory, in the same run: list() of 1 000
// and 10 000 sessions, heartbeat latency (p99) and losses with 100 sessions at 1 Hz, and the time
// from a registration by one registry instance ("machine") to its appearance in another's
// listing (pub/sub for Redis, a file watch for the directory). The Redis server is a real
// redis-server started for the run (AOF on, fsync always: stricter than the everysec docs/redis.md allows).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchContext } from './context';
import { fmt } from './report';
import { atMost, ratio, type FigureResult, type Row } from './results';
import { writeSessions } from './sessions-data';
import { median, percentile } from './stats';
import { DirectoryRegistry } from '../src/core/directory-registry';
import { RedisRegistry } from '../src/core/redis-registry';
import { parseRegistryLocation, type RedisLocation } from '../src/core/registry-location';
import type { Registry } from '../src/core/registry';
import { haveRedisServer, startRedis, type TestRedis } from '../test/helpers/redis-server';

const SESSIONS_AT_1HZ = 100;

export async function figureRedis(ctx: BenchContext): Promise<FigureResult> {
  const quick = ctx.options.quick;
  const title = 'Registry on Redis beside the directory';
  const sizes = quick ? [1000] : [1000, 10000];
  const heartbeatSeconds = quick ? 3 : 60;
  if (!haveRedisServer()) {
    return { id: 8, title, params: { sizes }, rows: [{ name: 'Redis registry', value: null, unit: 'ms', note: 'redis-server is not installed' }], notes: [] };
  }
  const redis = await startRedis();
  const rows: Row[] = [];
  const tableRows: string[][] = [];
  const opened: Registry[] = [];
  const open = async (prefix: string): Promise<RedisRegistry> => {
    const loc = parseRegistryLocation(`${redis.url}?prefix=${prefix}`) as RedisLocation;
    const r = await RedisRegistry.open(loc, { cleanupOnCreate: false });
    opened.push(r);
    return r;
  };
  try {
    // 1. list() of n sessions: the same records in a directory and in Redis.
    const templateDir = path.join(ctx.options.tmpDir, 'redis-template');
    const templateStore = new DirectoryRegistry(templateDir, { cleanupOnCreate: false });
    const template = { ...(await templateStore.create({ label: 'template' })) };
    for (const n of sizes) {
      ctx.log(`figure 8: list of ${n} sessions`);
      const dir = path.join(ctx.options.tmpDir, `redis-list-${n}`);
      writeSessions(dir, n, template);
      const reg = await open(`list${n}`);
      await loadIntoRedis(redis, reg, dir, `list${n}`);
      const directory = new DirectoryRegistry(dir, { cleanupOnCreate: false });
      const reps = n >= 10000 ? (quick ? 3 : 7) : quick ? 5 : 15;
      const dirMs: number[] = [];
      const redisMs: number[] = [];
      for (let i = 0; i < reps; i++) {
        dirMs.push(await timed(() => directory.list()));
        redisMs.push(await timed(() => reg.list()));
      }
      const listedRedis = (await reg.list()).length;
      const d = median(dirMs);
      const r = median(redisMs);
      rows.push({
        name: `Redis list() of ${n.toLocaleString('en-US')} sessions`,
        value: r,
        unit: 'ms',
        baseline: { name: 'directory list()', value: d },
        ratio: ratio(r, d),
        target: atMost('<= 1.0x directory', ratio(r, d), 1.0),
        ...(listedRedis === n ? {} : { note: `listed ${listedRedis} of ${n}` }),
      });
      tableRows.push([`list() of ${n.toLocaleString('en-US')}`, fmt(d), fmt(r), `${reps} runs, medians`]);
    }

    // 2. Heartbeats: 100 sessions at 1 Hz, each backend in turn.
    for (const backend of ['directory', 'redis'] as const) {
      ctx.log(`figure 8: ${SESSIONS_AT_1HZ} sessions at 1 Hz for ${heartbeatSeconds} s (${backend})`);
      const reg: Registry = backend === 'redis' ? await open('hb') : new DirectoryRegistry(path.join(ctx.options.tmpDir, 'redis-hb-dir'), { cleanupOnCreate: false });
      const result = await heartbeatRun(reg, heartbeatSeconds);
      rows.push({
        name: `${backend}: heartbeat p99, ${SESSIONS_AT_1HZ} sessions at 1 Hz`,
        value: result.p99,
        unit: 'ms',
        note: `p50 ${fmt(result.p50)} ms, max ${fmt(result.max)} ms, ${result.done} heartbeats`,
      });
      rows.push({
        name: `${backend}: lost heartbeats`,
        value: result.lost,
        unit: '',
        target: atMost('0', result.lost, 0),
      });
      tableRows.push([`heartbeat p50 / p99 / max (${backend})`, '', '', `${fmt(result.p50)} / ${fmt(result.p99)} / ${fmt(result.max)} ms, ${result.lost} lost of ${result.done + result.lost}`]);
    }

    // 3. Propagation: registered by A, seen in B's listing.
    for (const backend of ['directory', 'redis'] as const) {
      ctx.log(`figure 8: propagation (${backend})`);
      const dir = path.join(ctx.options.tmpDir, 'redis-prop-dir');
      const a: Registry = backend === 'redis' ? await open('prop') : new DirectoryRegistry(dir, { cleanupOnCreate: false });
      const b: Registry = backend === 'redis' ? await open('prop') : new DirectoryRegistry(dir, { cleanupOnCreate: false });
      const times = await propagation(a, b, dir, quick ? 10 : 30);
      const p = median(times);
      const worst = Math.max(...times);
      rows.push({
        name: `${backend}: registration to another listing (median)`,
        value: p,
        unit: 'ms',
        note: `max ${fmt(worst)} ms over ${times.length}; ${backend === 'redis' ? 'pub/sub' : 'fs.watch'} then list()`,
        ...(backend === 'redis' ? { target: atMost('< 1000 ms (max)', worst, 999.999) } : {}),
      });
      tableRows.push([`propagation median / max (${backend})`, '', '', `${fmt(p)} / ${fmt(worst)} ms`]);
    }
  } finally {
    await Promise.all(opened.map((r) => r.dispose()));
    await redis.stop();
    fs.rmSync(redis.dir, { recursive: true, force: true });
  }
  return {
    id: 8,
    title,
    params: { sizes, sessionsAt1Hz: SESSIONS_AT_1HZ, heartbeatSeconds, redis: 'local redis-server, AOF fsync always, 127.0.0.1' },
    rows,
    tables: [{ title: 'Directory and Redis side by side (ms)', headers: ['what', 'directory', 'redis', 'notes'], rows: tableRows }],
    notes: [
      'Both registries run in the benchmark process; the Redis server is on the same machine (loopback), so network latency is not included.',
      `Load average (1 min) at the end of the Redis figure: ${(os.loadavg()[0] ?? 0).toFixed(2)}.`,
    ],
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Copies the record files of `dir` into the registry's Redis layout (pipelined SETs of each file's JSON). */
async function loadIntoRedis(redis: TestRedis, reg: RedisRegistry, dir: string, prefix: string): Promise<void> {
  void redis;
  const conn = (reg as unknown as { conn: { command(args: string[]): Promise<unknown> } }).conn;
  const files = fs.readdirSync(dir).filter((n) => n.endsWith('.json'));
  for (let i = 0; i < files.length; i += 1000) {
    await Promise.all(
      files.slice(i, i + 1000).map(async (name) => {
        const record = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as { id: string };
        await conn.command(['SET', `${prefix}:session:${record.id}`, JSON.stringify(record)]);
        await conn.command(['SADD', `${prefix}:sessions`, record.id]);
      }),
    );
  }
}

async function heartbeatRun(reg: Registry, seconds: number): Promise<{ p50: number | null; p99: number | null; max: number; done: number; lost: number }> {
  const ids: string[] = [];
  for (let i = 0; i < SESSIONS_AT_1HZ; i++) ids.push((await reg.create({ label: `hb ${i}`, heartbeatIntervalMs: 1000 })).id);
  const latencies: number[] = [];
  let lost = 0;
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Set<Promise<void>>();
  const end = Date.now() + seconds * 1000;
  await new Promise<void>((resolve) => {
    ids.forEach((id, i) => {
      // Spread over the second, as independent processes would be.
      const start = setTimeout(() => {
        const timer = setInterval(() => {
          if (Date.now() >= end) return;
          const t = performance.now();
          const beat = reg
            .heartbeat(id)
            .then(
              () => void latencies.push(performance.now() - t),
              () => void lost++,
            )
            .finally(() => inFlight.delete(beat));
          inFlight.add(beat);
        }, 1000);
        timers.push(timer);
      }, (i * 1000) / SESSIONS_AT_1HZ);
      timers.push(start);
    });
    setTimeout(resolve, seconds * 1000 + 50);
  });
  for (const t of timers) clearInterval(t);
  await Promise.all([...inFlight]);
  for (const id of ids) await reg.close(id);
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0, done: latencies.length, lost };
}

async function propagation(a: Registry, b: Registry, dir: string, rounds: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let resolveSeen: (ms: number) => void = () => undefined;
    const seen = new Promise<number>((resolve) => (resolveSeen = resolve));
    // Looked for by label, known before create() returns: only B's own notice can find it.
    const label = `prop ${i} ${process.pid}`;
    let t0 = 0;
    let checking = false;
    const check = async (): Promise<void> => {
      if (checking) return;
      checking = true;
      try {
        if ((await b.list()).some((s) => s.record.label === label)) resolveSeen(performance.now() - t0);
      } finally {
        checking = false;
      }
    };
    let stop: (() => Promise<void>) | null = await b.watch(() => void check());
    let watcher: fs.FSWatcher | null = null;
    if (stop === null) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      watcher = fs.watch(dir, () => void check());
    }
    t0 = performance.now();
    const created = await a.create({ label });
    // A fallback poll, so a lost notice shows as a time of 2 s or more instead of a hang.
    const retry = setInterval(() => void check(), 2000);
    times.push(await seen);
    clearInterval(retry);
    watcher?.close();
    await stop?.();
    stop = null;
    await a.close(created.id);
  }
  return times;
}
