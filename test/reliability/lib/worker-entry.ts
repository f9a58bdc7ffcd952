// Entry of a worker thread that runs one exported function of a compiled test module. Running
// property checks off the main thread lets the test notice a hang (a synchronous endless loop
// blocks its own thread only) and terminate it.
import { parentPort, workerData } from 'node:worker_threads';

interface Job {
  module: string;
  fn: string;
  args: unknown;
}

const job = workerData as Job;

/** The error with its chain of causes: fast-check puts the property's own error in `cause`. */
function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; depth++) {
    parts.push(String((e as Error)?.stack ?? e));
    e = (e as { cause?: unknown })?.cause;
  }
  return parts.join('\ncaused by: ');
}
const progress = (done: number): void => parentPort?.postMessage({ type: 'progress', done });
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module is chosen at run time
const mod = require(job.module) as Record<string, (args: unknown, progress: (done: number) => void) => unknown>;
const fn = mod[job.fn];
Promise.resolve()
  .then(() => {
    if (typeof fn !== 'function') throw new Error(`${job.module} has no export ${job.fn}`);
    return fn(job.args, progress);
  })
  .then(
    (result) => parentPort?.postMessage({ type: 'done', result }),
    (err: unknown) => parentPort?.postMessage({ type: 'error', error: describe(err) }),
  );
