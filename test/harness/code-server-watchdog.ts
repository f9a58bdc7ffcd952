// Started (detached) next to each code-server: if the process that owns the server dies
// without stopping it (SIGKILL, a crash), this kills the server's process group and every
// process of the run, and removes the run's temp profile. Normal stops kill the watchdog too.
// Usage: node code-server-watchdog.js OWNER_PID SERVER_PGID PROFILE_DIR
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, killRun, removeDir } from './process-cleanup';

async function main(): Promise<void> {
  const [ownerArg, pgidArg, profileDir] = process.argv.slice(2);
  const owner = Number(ownerArg);
  const pgid = Number(pgidArg);
  if (!(owner > 0) || !(pgid > 0) || !profileDir) throw new Error('usage: code-server-watchdog OWNER_PID SERVER_PGID PROFILE_DIR');
  while (isAlive(owner)) await sleep(1000);
  await killRun(pgid, profileDir);
  removeDir(profileDir);
}

main().catch((err: Error) => {
  process.stderr.write(`code-server watchdog: ${err.message}\n`);
  process.exit(1);
});
