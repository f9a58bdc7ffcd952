import { Worker } from 'node:worker_threads';
import { join } from 'node:path';

/**
 * Runs `module[fn](args, progress)` in a worker thread. Fails when the function throws, and when
 * it reports no progress for `stallMs`: that is a hang (e.g. a parser looping on some input).
 */
export function runInWorker<T>(module: string, fn: string, args: unknown, stallMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(join(__dirname, 'worker-entry.js'), { workerData: { module, fn, args } });
    let lastDone = 0;
    let timer: NodeJS.Timeout;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        void worker.terminate();
        reject(new Error(`${fn} made no progress for ${stallMs} ms after ${lastDone} cases: hang`));
      }, stallMs);
    };
    arm();
    worker.on('message', (m: { type: string; done?: number; result?: T; error?: string }) => {
      if (m.type === 'progress') {
        lastDone = m.done ?? lastDone;
        arm();
      } else {
        clearTimeout(timer);
        void worker.terminate();
        if (m.type === 'done') resolve(m.result as T);
        else reject(new Error(m.error));
      }
    });
    worker.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
