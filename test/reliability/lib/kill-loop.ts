import { startChild, exitWithin, randomDelay } from './proc';

export interface KillLoopOptions {
  script: string;
  /** Arguments for the n-th child (n counts from 0 within this loop). */
  args: (n: number) => string[];
  kills: number;
  /** The kill lands uniformly in [0, maxDelayMs) after the child printed a line matching `armOn`. */
  maxDelayMs: number;
  /**
   * Default: the "ready" line. Arming on the first acknowledgement instead makes sure every child
   * gets some work done (e.g. past a stale lock its predecessor left) before it is killed.
   */
  armOn?: (line: string) => boolean;
  /** How long a child may take to arm (waiting out a stale lock included). */
  armTimeoutMs?: number;
  /** Every stdout line of the n-th child, in order. */
  onLine: (n: number, line: string) => void;
  /** Stops early (e.g. another lane failed). */
  stop?: () => boolean;
  /** Runs right after each kill, before the next child starts: inspect what the kill left. */
  afterKill?: (pid: number) => void | Promise<void>;
}

export interface KillLoopResult {
  kills: number;
  /** Children that exited before we killed them: a crash of the code under test. */
  unexpectedExits: string[];
}

/**
 * Starts a worker, lets it run for a random time, SIGKILLs it, waits until it is gone, and
 * starts the next one, `kills` times. One loop is one "slot"; run several loops at once to
 * have killed writers contend with live ones.
 */
export async function killLoop(o: KillLoopOptions): Promise<KillLoopResult> {
  const unexpectedExits: string[] = [];
  let kills = 0;
  for (let n = 0; kills < o.kills && !o.stop?.(); n++) {
    const child = startChild(o.script, o.args(n), { onLine: (line) => o.onLine(n, line) });
    await child.waitForLine(o.armOn ?? ((l) => l === 'ready'), o.armTimeoutMs ?? 60000);
    await randomDelay(o.maxDelayMs);
    child.proc.kill('SIGKILL');
    const { code, signal } = await exitWithin(child, 30000);
    if (signal === 'SIGKILL') {
      kills++;
      await o.afterKill?.(child.pid);
    }
    else unexpectedExits.push(`child ${n} exited by itself (code ${code}, signal ${signal}): ${child.stderr().slice(-1500)}`);
  }
  return { kills, unexpectedExits };
}
