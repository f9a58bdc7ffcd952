// `run [options] -- CMD [ARGS...]`: a child process as a session.
import { spawn, type ChildProcess } from 'node:child_process';
import { errorText } from '../../core/error-text';
import * as os from 'node:os';
import * as path from 'node:path';
import { HeartbeatLoop } from '../../core/heartbeat-loop';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, LIMITS } from '../../core/session-record';
import { ProcessNotRunningError } from '../../core/session-store';
import { RegistryUnavailableError } from '../../core/registry-errors';
import { parseCommand, splitRunArgs, stringOption } from '../args';
import { EXIT_ERROR, printError, printWarning, UsageError, type CommandContext } from '../context';
import { TIMING_OPTIONS, TIMING_VALUE_FLAGS, timingOptions } from '../timing-options';
import { envWithoutCredentials } from '../../core/registry-config';
import type { Registry } from '../../core/registry';
import { openStore } from './store';

/** How long `run` waits for an exit event before it calls a child it could not find still running. */
const EXIT_WAIT_MS = 2000;

/** Whether `p` settles within `ms`. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const VALUE_OPTIONS = new Set(['--label', '--tool', '--workspace', '--dir', '--registry', '--registry-password-file', ...TIMING_VALUE_FLAGS]);

export async function runCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const split = splitRunArgs(args, VALUE_OPTIONS);
  const { values, positionals } = parseCommand('run', split.options, {
    label: { type: 'string' },
    tool: { type: 'string' },
    workspace: { type: 'string', multiple: true },
    ...TIMING_OPTIONS,
  });
  if (positionals.length > 0) throw new UsageError(`run: unexpected argument ${JSON.stringify(positionals[0])}`, 'run');
  const [cmd, ...cmdArgs] = split.command;
  if (cmd === undefined || cmd === '') throw new UsageError('run: expected a command after --', 'run');
  const { staleGraceMs, heartbeatIntervalMs, ...thresholds } = timingOptions('run', values);
  const interval = heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const label = stringOption(values, 'label') ?? [cmd, ...cmdArgs].join(' ').slice(0, LIMITS.label);
  const workspaces = ((values.workspace as string[] | undefined) ?? []).map((w) => path.resolve(ctx.cwd, w));

  // Signals that arrive while the child starts are forwarded as soon as it exists.
  let child: ChildProcess | undefined;
  const pending: NodeJS.Signals[] = [];
  const forward = (signal: NodeJS.Signals): void => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) child.kill(signal);
    else if (!child) pending.push(signal);
  };
  for (const s of FORWARDED) process.on(s, forward);
  try {
    // Registry credentials are ours, not the child's: a password in the environment shows up in
    // the child's /proc/<pid>/environ and in whatever it starts.
    child = spawn(cmd, cmdArgs, { stdio: 'inherit', cwd: ctx.cwd, env: envWithoutCredentials(ctx.env), windowsHide: false });
    const started = await new Promise<Error | null>((resolve) => {
      child?.once('spawn', () => resolve(null));
      child?.once('error', (err) => resolve(err));
    });
    if (started) {
      const code = (started as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'command not found' : code === 'EACCES' ? 'permission denied' : started.message;
      printError(ctx, `run: cannot start ${JSON.stringify(cmd)}: ${why}`);
      return EXIT_ERROR;
    }
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child?.once('exit', (code, signal) => resolve({ code, signal })),
    );
    for (const s of pending.splice(0)) child.kill(s);

    // Resolves after the child exited and its session was closed.
    await superviseSession(ctx, child.pid as number, exited, {
      label,
      tool: stringOption(values, 'tool') ?? 'session-keeper-run',
      workspaceFolders: workspaces,
      heartbeatIntervalMs: interval,
      ...thresholds,
    }, staleGraceMs);
    const { code, signal } = await exited;
    if (signal) return 128 + (os.constants.signals[signal] ?? 0);
    return code ?? EXIT_ERROR;
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
  }
}

/**
 * Registers the child's session, heartbeats until it exits, then closes it. Failures are
 * warnings: the child's work matters more than its registration, so it is never killed for them.
 * Resolves once the child has exited and the session is closed (or could not be).
 */
async function superviseSession(
  ctx: CommandContext,
  pid: number,
  exited: Promise<unknown>,
  input: { label: string; tool: string; workspaceFolders: string[]; heartbeatIntervalMs: number; unresponsiveAfterMs?: number; expireAfterMs?: number },
  staleGraceMs: number | undefined,
): Promise<void> {
  let store: Registry;
  try {
    store = await openStore(ctx, staleGraceMs !== undefined ? { staleGraceMs } : {}, { persistent: true });
  } catch (err) {
    printWarning(ctx, `run: could not open the registry (the command keeps running without a session): ${errorText(err)}`);
    await exited;
    return;
  }
  let id: string | undefined;
  let waitedForRegistry = false;
  while (id === undefined) {
    try {
      id = (await store.create({ ...input, pid })).id;
      if (waitedForRegistry) printWarning(ctx, `run: the registry is back; session ${id} registered`);
    } catch (err) {
      if (err instanceof RegistryUnavailableError) {
        // The server is down (run keeps reconnecting): register once it is back, unless the
        // command ends first.
        if (!waitedForRegistry) printWarning(ctx, `run: ${err.message}; the session is registered when it is back`);
        waitedForRegistry = true;
        if (await settlesWithin(exited, input.heartbeatIntervalMs)) break;
        continue;
      }
      // A child that finished before it could be registered needs no session. Anything else is
      // said: a session that silently never appears looks like a bug in whoever lists them.
      const finished = err instanceof ProcessNotRunningError && (await settlesWithin(exited, EXIT_WAIT_MS));
      if (!finished) printWarning(ctx, `run: could not register the session (the command keeps running without one): ${errorText(err)}`);
      break;
    }
  }
  if (id === undefined) {
    await store.dispose();
    await exited;
    return;
  }
  const registered = id;
  const warned = new Set<string>();
  const heartbeats = new HeartbeatLoop({
    intervalMs: input.heartbeatIntervalMs,
    beat: async () => void (await store.heartbeat(registered)),
    onError: (err) => {
      const message = (err as Error).message;
      // Once per distinct error: a heartbeat every few seconds must not flood the terminal.
      if (!warned.has(message)) printWarning(ctx, `run: heartbeat of session ${registered} failed: ${message}`);
      warned.add(message);
    },
  });
  heartbeats.start();
  await exited;
  await heartbeats.stop();
  try {
    await store.close(registered);
  } catch (err) {
    printWarning(ctx, `run: could not close session ${registered}: ${errorText(err)}`);
  }
  await store.dispose();
}
