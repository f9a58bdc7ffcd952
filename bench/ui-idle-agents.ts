// Child of bench/ui-idle.ts: N live agent sessions in one process (their pid is this process),
// each heartbeating every `interval` ms, spread evenly over the interval as independent agents
// would be. Prints "ready" once all are registered; runs until killed.
import { SessionStore } from '../src/core/session-store';

async function main(): Promise<void> {
  const [dir, countText, intervalText] = process.argv.slice(2);
  const count = Number(countText);
  const interval = Number(intervalText);
  if (!dir || !(count >= 0) || !(interval >= 100)) throw new Error('usage: ui-idle-agents DIR COUNT INTERVAL_MS');
  const store = new SessionStore(dir, { heartbeatIntervalMs: interval });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push((await store.create({ label: `agent ${i}`, tool: 'bench-agent', workspaceFolders: [`/work/repo-${i % 7}`] })).id);
  ids.forEach((id, i) => {
    const beat = (): void => void store.heartbeat(id).catch(() => undefined);
    // The first beat at the agent's own phase, not one interval later: otherwise the last agents
    // went nearly two intervals without a beat after start, and their rows read "10 s ago" once.
    setTimeout(() => {
      beat();
      setInterval(beat, interval);
    }, Math.round((i * interval) / Math.max(1, count)));
  });
  process.stdout.write('ready\n');
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
