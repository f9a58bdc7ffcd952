/**
 * Runs `check` over and over (with `intervalMs` pauses) while writers are being killed, the way
 * a second VS Code window or the CLI reads concurrently. A check throws to report a violation.
 */
export function startPoller(check: () => Promise<void>, intervalMs: number): { stop: () => Promise<{ polls: number; failures: string[] }> } {
  let running = true;
  let polls = 0;
  const failures: string[] = [];
  const loop = (async () => {
    while (running) {
      try {
        await check();
      } catch (err) {
        if (failures.length < 20) failures.push(String((err as Error)?.stack ?? err));
      }
      polls++;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { polls, failures };
    },
  };
}
