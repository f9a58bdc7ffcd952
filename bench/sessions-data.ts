import * as fs from 'node:fs';
import * as path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { loadCore, type StoreModule } from './core';
import { Prng } from './prng';

/**
 * A realistic sessions directory of N sessions: this host's live and dead processes, other
 * hosts, closed and long-expired sessions, each with a small journal beside its record.
 * The record format is taken from a record the real SessionStore.create() wrote.
 */

/**
 * The record one real SessionStore.create() writes in a new folder `<tmpDir>/<name>-template`
 * (its format, this host's name, our process's start time): the template writeSessions varies.
 * Throws CoreMissingError when src/core/session-store is not built.
 */
export async function templateRecord(tmpDir: string, name: string): Promise<Record<string, unknown>> {
  const { SessionStore } = loadCore<StoreModule>('session-store');
  const store = new SessionStore(path.join(tmpDir, `${name}-template`), { cleanupOnCreate: false });
  const template = { ...(await store.create({ label: 'template' })) };
  await store.idle();
  return template;
}

export interface SessionsMix {
  total: number;
  byKind: Record<SessionKind, number>;
}

type SessionKind = 'local-live' | 'local-silent' | 'local-dead' | 'other-host' | 'closed' | 'expired';

const KINDS: readonly [SessionKind, number][] = [
  ['local-live', 0.25], // this host, our own pid, fresh heartbeat: active
  ['local-silent', 0.05], // this host, our own pid, old heartbeat: unresponsive
  ['local-dead', 0.2], // this host, a pid no process has: stale
  ['other-host', 0.35], // another host, fresh or old heartbeat: active or unresponsive
  ['closed', 0.1],
  ['expired', 0.05], // no heartbeat for two days: stale without a process check
];

function pickKind(rng: Prng): SessionKind {
  let x = rng.next();
  for (const [kind, share] of KINDS) {
    if (x < share) return kind;
    x -= share;
  }
  return 'other-host';
}

function deadPid(rng: Prng): number {
  const pidMax = (() => {
    try {
      return Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim()) || 32768;
    } catch {
      return 32768;
    }
  })();
  for (;;) {
    const pid = rng.int(1000, pidMax - 1);
    try {
      process.kill(pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return pid;
    }
  }
}

/**
 * Writes `count` sessions into `dir` (emptied first), modelled on `template`, a record the real
 * store created for this process.
 */
export function writeSessions(dir: string, count: number, template: Record<string, unknown>, seed = 7): SessionsMix {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const rng = new Prng(seed);
  const now = Date.now();
  const byKind: Record<SessionKind, number> = { 'local-live': 0, 'local-silent': 0, 'local-dead': 0, 'other-host': 0, closed: 0, expired: 0 };
  const interval = 10_000;
  for (let i = 0; i < count; i++) {
    const kind = pickKind(rng);
    byKind[kind]++;
    const id = uuidv7();
    const created = now - rng.int(60_000, 6 * 3600_000);
    let heartbeat = now - rng.int(0, interval);
    const record: Record<string, unknown> = {
      ...template,
      id,
      label: `window ${i} — project-${rng.int(1, 50)}`,
      workspaceFolders: [`/home/dev/src/project-${rng.int(1, 50)}`],
      createdAt: new Date(created).toISOString(),
      heartbeatIntervalMs: interval,
      closedAt: null,
    };
    switch (kind) {
      case 'local-silent':
        heartbeat = now - rng.int(5 * interval, 20 * interval);
        break;
      case 'local-dead':
        record.pid = deadPid(rng);
        break;
      case 'other-host':
        record.hostname = `build-host-${rng.int(1, 20)}`;
        record.pid = rng.int(1000, 60000);
        if (rng.next() < 0.3) heartbeat = now - rng.int(5 * interval, 20 * interval);
        break;
      case 'closed':
        record.closedAt = new Date(heartbeat).toISOString();
        break;
      case 'expired':
        heartbeat = now - 2 * 86_400_000;
        break;
      default:
        break;
    }
    record.heartbeatAt = new Date(Math.max(heartbeat, created)).toISOString();
    fs.writeFileSync(path.join(dir, `${id}.json`), `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    const journal = [
      { event: 'created', at: record.createdAt, sessionId: id, writerPid: record.pid, hostname: record.hostname },
      ...(kind === 'closed' ? [{ event: 'closed', at: record.closedAt, sessionId: id, writerPid: record.pid, hostname: record.hostname }] : []),
    ];
    fs.writeFileSync(path.join(dir, `${id}.jsonl`), journal.map((e) => JSON.stringify(e)).join('\n') + '\n', { mode: 0o600 });
  }
  return { total: count, byKind };
}
