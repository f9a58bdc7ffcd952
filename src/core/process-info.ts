// Facts about processes on this host: is a pid alive, and when did the process holding it start.
// Start times let liveness tell a live session from a pid the OS has since handed to another
// process. Linux reads /proc; macOS and other Unixes ask `ps` once per probe; elsewhere the
// start time is unknown (null) and pid reuse is not claimed.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export interface ProcessFacts {
  alive: boolean;
  /** Epoch ms when the process holding the pid started; null if unknown or dead. */
  startedAt: number | null;
}

export type StartTimeMethod = 'proc' | 'ps' | 'none';

/** Signals nothing: `kill(pid, 0)` only checks. ESRCH means gone; EPERM means it exists but is not ours. */
export function isProcessAlive(pid: number): boolean {
  // pid 0 and negative pids address process groups; never pass them to kill.
  if (!Number.isInteger(pid) || pid < 1 || pid > 0x7fffffff) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EPERM') return true;
    if (code === 'ESRCH') return false;
    throw err;
  }
}

export function defaultStartTimeMethod(platform: NodeJS.Platform = process.platform): StartTimeMethod {
  if (platform === 'linux' || platform === 'android') return 'proc';
  if (platform === 'win32') return 'none';
  return 'ps';
}

/**
 * Answers process questions with per-pid caching; create one per list() call so a directory of
 * 10 000 sessions costs one lookup per distinct pid (and on `ps` platforms one spawn in total).
 */
export class ProcessProbe {
  private readonly method: StartTimeMethod;
  private readonly startTimes = new Map<number, Promise<number | null>>();
  /** Read once per probe: btime can shift when the wall clock is stepped. */
  private bootTime: number | null | undefined;
  private psTable: Promise<Map<number, number>> | undefined;
  private procListsAll: boolean | undefined;

  constructor(options: { method?: StartTimeMethod } = {}) {
    this.method = options.method ?? defaultStartTimeMethod();
  }

  isAlive(pid: number): boolean {
    // kill() reports a dead pid by throwing, which costs far more than the syscall; where /proc
    // lists every pid, a missing /proc/<pid> answers "dead" without an exception.
    this.procListsAll ??= this.method === 'proc' && procListsAllPids();
    if (this.procListsAll && Number.isInteger(pid) && pid > 0 && !existsSync(`/proc/${pid}`)) return false;
    return isProcessAlive(pid);
  }

  /** Start time (epoch ms) of the process now holding `pid`, or null when unknown or gone. */
  startTime(pid: number): Promise<number | null> {
    let cached = this.startTimes.get(pid);
    if (!cached) {
      cached = this.lookup(pid).catch(() => null);
      this.startTimes.set(pid, cached);
    }
    return cached;
  }

  async facts(pid: number, needStartTime = true): Promise<ProcessFacts> {
    if (!this.isAlive(pid)) return { alive: false, startedAt: null };
    return { alive: true, startedAt: needStartTime ? await this.startTime(pid) : null };
  }

  private async lookup(pid: number): Promise<number | null> {
    if (this.method === 'proc') return this.procStartTime(pid);
    if (this.method === 'ps') return (await this.psStartTimes()).get(pid) ?? null;
    return null;
  }

  private procStartTime(pid: number): number | null {
    // Synchronous on purpose: /proc is served from memory and never blocks on a disk.
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      return null; // gone meanwhile, or /proc not mounted
    }
    const ticks = parseProcStatStartTicks(stat);
    if (this.bootTime === undefined) this.bootTime = readBootTime();
    if (ticks === null || this.bootTime === null) return null;
    return Math.round(this.bootTime + (ticks * 1000) / clockTicksPerSecond());
  }

  private psStartTimes(): Promise<Map<number, number>> {
    // One `ps` for all pids: spawning per session would dominate list() time.
    this.psTable ??= new Promise((resolve) => {
      execFile(
        'ps',
        ['-A', '-o', 'pid=', '-o', 'lstart='],
        { env: { ...process.env, LC_ALL: 'C', LANG: 'C' }, maxBuffer: 64 * 1024 * 1024, windowsHide: true },
        (err, stdout) => resolve(err ? new Map() : parsePsTable(stdout)),
      );
    });
    return this.psTable;
  }
}

/**
 * Field 22 (starttime, clock ticks after boot) of /proc/<pid>/stat. Field 2 (comm) is in
 * parentheses and may itself contain spaces and ')', so fields are counted after the last ')'.
 */
export function parseProcStatStartTicks(stat: string): number | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  // After ") " come fields 3, 4, …; field 22 is therefore index 19.
  const fields = stat.slice(close + 1).trim().split(/\s+/);
  const raw = fields[19];
  if (raw === undefined || !/^\d+$/.test(raw)) return null;
  return Number(raw);
}

/** `btime` of /proc/stat: boot time in epoch seconds, as epoch ms. */
export function parseProcStatBootTime(text: string): number | null {
  const m = /^btime\s+(\d+)\s*$/m.exec(text);
  return m?.[1] ? Number(m[1]) * 1000 : null;
}

function readBootTime(): number | null {
  try {
    return parseProcStatBootTime(readFileSync('/proc/stat', 'latin1'));
  } catch {
    return null;
  }
}

/**
 * Whether /proc shows every process: false when mounted with hidepid=1/2/noaccess/invisible
 * (then other users' live processes would look missing) or when it cannot be told.
 */
export function procListsAllPids(mountinfo?: string): boolean {
  let text = mountinfo;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/self/mountinfo', 'latin1');
    } catch {
      return false;
    }
  }
  let found = false;
  for (const line of text.split('\n')) {
    // "... mountpoint options ... - fstype source superoptions"
    const [left, right] = line.split(' - ');
    const mountPoint = left?.split(' ')[4];
    const [fstype, , superOptions = ''] = right?.split(' ') ?? [];
    if (mountPoint !== '/proc' || fstype !== 'proc') continue;
    found = true;
    const hide = /(?:^|,)hidepid=([^,]*)/.exec(superOptions)?.[1];
    if (hide !== undefined && hide !== '0' && hide !== 'off') return false;
  }
  return found;
}

let clockTicks: number | undefined;

/** CLK_TCK, asked once from `getconf`; 100 (the value on every mainstream Linux) if that fails. */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    clockTicks = 100;
    try {
      const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim());
      if (Number.isInteger(n) && n > 0) clockTicks = n;
    } catch {
      // keep 100
    }
  }
  return clockTicks;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Parses `ps -o pid= -o lstart=` output ("  123 Tue Mar  5 10:11:12 2024", local time, C locale). */
export function parsePsTable(stdout: string): Map<number, number> {
  const table = new Map<number, number>();
  const re = /^\s*(\d+)\s+\w{3}\s+(\w{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\d{4})\s*$/;
  for (const line of stdout.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    const month = MONTHS.indexOf(m[2] ?? '');
    if (month < 0) continue;
    const at = new Date(Number(m[7]), month, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])).getTime();
    if (Number.isFinite(at)) table.set(Number(m[1]), at);
  }
  return table;
}

/** Start time of this very process, for the record a session writes about itself. */
export function ownProcessStartTime(probe = new ProcessProbe()): Promise<number | null> {
  return probe.startTime(process.pid);
}
