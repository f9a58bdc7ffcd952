// Facts about processes on this host: is a pid alive (a zombie is not), when did the process
// holding it start, and which PID space (boot, PID namespace) this process numbers pids in.
// Start times let liveness tell a live session from a pid the OS has since handed to another
// process. Linux reads /proc; macOS and other Unixes ask `ps` once per probe; elsewhere the
// start time is unknown (null) and pid reuse is not claimed.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcessFacts {
  /** False for a pid nobody holds, and for a zombie (exited, waiting for its parent to reap it). */
  alive: boolean;
  /**
   * True when the pid is held by a process that has exited but is not reaped yet: on Linux every
   * thread of it is in state Z or X (the leader alone in Z, with other threads running, is alive).
   */
  zombie?: boolean;
  /** Epoch ms when the process holding the pid started; null if unknown or dead. */
  startedAt: number | null;
  /** Field 22 of /proc/<pid>/stat: start in clock ticks after boot; absent or null if unknown. */
  startTicks?: number | null;
}

/**
 * What tells this process's PID space apart from others with the same host name (a container
 * run with the host's name, WSL next to Windows). Null where it cannot be told.
 */
export interface PidSpace {
  /** /proc/sys/kernel/random/boot_id (Linux): a UUID the kernel draws at each boot; null elsewhere. */
  bootId: string | null;
  /**
   * The space pids are numbered in. Linux: link target of /proc/self/ns/pid, e.g.
   * `pid:[4026531836]`. Platforms without /proc: `os:<platform>` (e.g. `os:win32`, `os:darwin`),
   * which never equals a Linux value, so WSL and Windows never check each other's pids.
   * Null only on Linux when the link cannot be read.
   */
  pidNamespace: string | null;
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
  /** Parsed /proc/<pid>/stat per pid (Linux), read once per probe. */
  private readonly procStats = new Map<number, ProcStat | null>();
  /** Read once per probe: btime can shift when the wall clock is stepped. */
  private bootTime: number | null | undefined;
  private psTable: Promise<Map<number, PsEntry>> | undefined;
  private procListsAll: boolean | undefined;

  constructor(options: { method?: StartTimeMethod } = {}) {
    // /proc of another PID namespace (`unshare -p` without a new /proc mount) numbers pids
    // differently from kill(): its facts would be about another process, so none are read.
    this.method = options.method ?? (defaultStartTimeMethod() === 'proc' && !procIsOwn() ? 'none' : defaultStartTimeMethod());
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

  /**
   * Whether `pid` is alive (a zombie is not), and when needed its start time. The process state
   * comes from /proc/<pid>/stat on Linux and from `ps` elsewhere; where neither answers, a pid
   * that exists counts as alive.
   */
  async facts(pid: number, needStartTime = true): Promise<ProcessFacts> {
    if (!this.isAlive(pid)) return { alive: false, startedAt: null };
    if (this.method === 'proc') {
      const stat = this.procStat(pid);
      if (stat === null && !this.isAlive(pid)) return { alive: false, startedAt: null }; // exited meanwhile
      if (stat && isDeadState(stat.state) && !hasLiveThread(pid)) return { alive: false, zombie: true, startedAt: null };
      const ticks = stat?.startTicks ?? null;
      return { alive: true, startedAt: needStartTime ? await this.startTime(pid) : null, startTicks: ticks === null ? null : ticks - bootTimeOffsetTicks() };
    }
    if (this.method === 'ps') {
      const entry = (await this.psEntries()).get(pid);
      if (entry && isDeadState(entry.state)) return { alive: false, zombie: true, startedAt: null };
      return { alive: true, startedAt: needStartTime ? (entry?.startedAt ?? null) : null };
    }
    return { alive: true, startedAt: null };
  }

  private async lookup(pid: number): Promise<number | null> {
    if (this.method === 'proc') return this.procStartTime(pid);
    if (this.method === 'ps') return (await this.psEntries()).get(pid)?.startedAt ?? null;
    return null;
  }

  private procStat(pid: number): ProcStat | null {
    let cached = this.procStats.get(pid);
    if (cached === undefined) {
      // Synchronous on purpose: /proc is served from memory and never blocks on a disk.
      try {
        cached = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
      } catch {
        cached = null; // gone meanwhile, or /proc not mounted
      }
      this.procStats.set(pid, cached);
    }
    return cached;
  }

  private procStartTime(pid: number): number | null {
    const ticks = this.procStat(pid)?.startTicks ?? null;
    if (this.bootTime === undefined) this.bootTime = readBootTime();
    if (ticks === null || this.bootTime === null) return null;
    return Math.round(this.bootTime + (ticks * 1000) / clockTicksPerSecond());
  }

  private psEntries(): Promise<Map<number, PsEntry>> {
    // One `ps` for all pids: spawning per session would dominate list() time.
    this.psTable ??= new Promise((resolve) => {
      execFile(
        'ps',
        ['-A', '-o', 'pid=', '-o', 'stat=', '-o', 'lstart='],
        { env: { ...process.env, LC_ALL: 'C', LANG: 'C' }, maxBuffer: 64 * 1024 * 1024, windowsHide: true },
        (err, stdout) => resolve(err ? new Map() : parsePsStatTable(stdout)),
      );
    });
    return this.psTable;
  }
}

/** The parts of /proc/<pid>/stat liveness uses. */
export interface ProcStat {
  /** Field 3: R, S, D, Z (zombie), X (dead), T, t, I, … */
  state: string;
  /** Field 22: start time in clock ticks after boot; null if unparsable. */
  startTicks: number | null;
}

/**
 * Z (zombie: exited, not reaped by its parent) and X (dead) hold a pid but run nothing. On Linux
 * this is the state of one thread: /proc/<pid>/stat shows the thread-group leader, which is Z
 * once the main thread has exited even while other threads still run (see hasLiveThread).
 */
export function isDeadState(state: string): boolean {
  return state.startsWith('Z') || state.startsWith('X');
}

/**
 * Fields 3 (state) and 22 (starttime) of /proc/<pid>/stat. Field 2 (comm) is in parentheses and
 * may itself contain spaces and ')', so fields are counted after the last ')'. Null if no ')'.
 */
export function parseProcStat(stat: string): ProcStat | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  // After ") " come fields 3, 4, …; field 3 is index 0 and field 22 index 19.
  const fields = stat.slice(close + 1).trim().split(/\s+/);
  const raw = fields[19];
  return { state: fields[0] ?? '', startTicks: raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : null };
}

/** Field 22 (starttime, clock ticks after boot) of /proc/<pid>/stat; see parseProcStat. */
export function parseProcStatStartTicks(stat: string): number | null {
  return parseProcStat(stat)?.startTicks ?? null;
}

/**
 * Whether any thread of process `pid` is in a state other than Z or X, from
 * /proc/<pid>/task/<tid>/stat. False when none is, or the task list cannot be read.
 */
export function hasLiveThread(pid: number): boolean {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  for (const tid of tids) {
    try {
      const stat = parseProcStat(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1'));
      if (stat && !isDeadState(stat.state)) return true;
    } catch {
      // that thread exited meanwhile
    }
  }
  return false;
}

/**
 * Whether /proc is this process's own PID namespace's: /proc/self then names our own pid. It
 * does not under `unshare --pid --fork` without --mount-proc, where /proc is the parent
 * namespace's and its numbers differ from the ones kill() uses. False when /proc is missing.
 */
export function procIsOwn(): boolean {
  try {
    return readlinkSync('/proc/self') === String(process.pid);
  } catch {
    return false;
  }
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

let bootOffsetTicks: number | undefined;

/**
 * This process's time-namespace boottime offset in clock ticks, from /proc/self/timens_offsets
 * (0 outside a time namespace, or where the file does not exist). Inside a time namespace the
 * kernel adds that offset to field 22 of every /proc/<pid>/stat it shows, so ticks read there
 * differ from the same process's ticks read outside; subtracting it gives every reader on one
 * boot the same number, which is what `processStartTicks` records and compares.
 */
export function bootTimeOffsetTicks(): number {
  if (bootOffsetTicks === undefined) {
    bootOffsetTicks = 0;
    try {
      const line = /^boottime\s+(-?\d+)\s+(\d+)\s*$/m.exec(readFileSync('/proc/self/timens_offsets', 'latin1'));
      if (line) bootOffsetTicks = Math.round((Number(line[1]) + Number(line[2]) / 1e9) * clockTicksPerSecond());
    } catch {
      // No time namespaces here (older kernel, not Linux): no offset.
    }
  }
  return bootOffsetTicks;
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

/** One row of `ps -o pid= -o stat= -o lstart=`. */
export interface PsEntry {
  /** `ps` STAT, e.g. `Ss`, `R+`, `Z`. */
  state: string;
  /** Epoch ms (local time read in the C locale); null if unparsable. */
  startedAt: number | null;
}

/** Parses `ps -o pid= -o stat= -o lstart=` output ("  123 Ss   Tue Mar  5 10:11:12 2024"). */
export function parsePsStatTable(stdout: string): Map<number, PsEntry> {
  const table = new Map<number, PsEntry>();
  const re = /^\s*(\d+)\s+(\S+)\s+\w{3}\s+(\w{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\d{4})\s*$/;
  for (const line of stdout.split('\n')) {
    const m = re.exec(line);
    if (!m) continue;
    const month = MONTHS.indexOf(m[3] ?? '');
    const at = month < 0 ? NaN : new Date(Number(m[8]), month, Number(m[4]), Number(m[5]), Number(m[6]), Number(m[7])).getTime();
    table.set(Number(m[1]), { state: m[2] ?? '', startedAt: Number.isFinite(at) ? at : null });
  }
  return table;
}

let ownPidSpace: PidSpace | undefined;

/**
 * This process's boot id and PID space (see PidSpace). Read once: neither changes during a
 * process's life. /proc/self/ns/pid names the namespace of the process itself even when /proc
 * was mounted for a parent namespace, so it is right there too.
 */
export function currentPidSpace(platform: NodeJS.Platform = process.platform): PidSpace {
  if (platform !== process.platform) return pidSpaceOf(platform);
  ownPidSpace ??= pidSpaceOf(platform);
  return ownPidSpace;
}

function pidSpaceOf(platform: NodeJS.Platform): PidSpace {
  if (platform === 'linux' || platform === 'android') return { bootId: readBootId(), pidNamespace: readPidNamespace('self') };
  return { bootId: null, pidNamespace: `os:${platform}` };
}

function readBootId(): string | null {
  try {
    const id = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
    return id === '' ? null : id;
  } catch {
    return null;
  }
}

/** Link target of /proc/<pid>/ns/pid (e.g. `pid:[4026531836]`), or null when unreadable. */
export function readPidNamespace(pid: number | 'self'): string | null {
  try {
    const target = readlinkSync(`/proc/${pid}/ns/pid`);
    return target === '' ? null : target;
  } catch {
    return null;
  }
}
