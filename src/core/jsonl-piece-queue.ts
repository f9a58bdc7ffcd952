/**
 * The queue of line-aligned pieces of a file that the threads of a parallel scan take their work
 * from (jsonl-parallel.ts, jsonl-range-worker.ts). It lives in shared memory: the workers are
 * started before the file is split (their start-up then overlaps the split), wait on the queue
 * until the pieces are published, and then every thread, the main one included, takes the next
 * piece until none is left. A thread that started late, or was slowed down, simply takes fewer
 * pieces, so all of them finish at about the same time.
 *
 * Layout: `control` is an Int32Array of [state, next piece, piece count]; `bounds` holds the
 * pieces' boundaries as byte offsets (piece i is [bounds[i], bounds[i + 1])).
 */
import type { ByteRange } from './jsonl-ranges';

const STATE = 0;
const NEXT = 1;
const COUNT = 2;
const WAITING = 0;
const PUBLISHED = 1;
const CANCELLED = 2;

/** The shared memory of one queue, as passed to a worker in its workerData. */
export interface PieceQueueMemory {
  control: SharedArrayBuffer;
  bounds: SharedArrayBuffer;
}

/** A queue of at most `maxPieces` pieces; see the module comment. */
export class PieceQueue {
  private readonly control: Int32Array;
  private readonly bounds: Float64Array;

  private constructor(readonly memory: PieceQueueMemory) {
    this.control = new Int32Array(memory.control);
    this.bounds = new Float64Array(memory.bounds);
  }

  /** A new, empty queue for up to `maxPieces` pieces. */
  static create(maxPieces: number): PieceQueue {
    return new PieceQueue({
      control: new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT),
      bounds: new SharedArrayBuffer((maxPieces + 1) * Float64Array.BYTES_PER_ELEMENT),
    });
  }

  /** The same queue, seen from another thread. */
  static attach(memory: PieceQueueMemory): PieceQueue {
    return new PieceQueue(memory);
  }

  /** Publishes the pieces (contiguous ranges, at most maxPieces) and wakes the waiting workers. */
  publish(pieces: readonly ByteRange[]): void {
    if (pieces.length + 1 > this.bounds.length) throw new RangeError(`${pieces.length} pieces, room for ${this.bounds.length - 1}`);
    pieces.forEach((p, i) => {
      this.bounds[i] = p.start;
      this.bounds[i + 1] = p.end;
    });
    Atomics.store(this.control, COUNT, pieces.length);
    Atomics.store(this.control, STATE, PUBLISHED);
    Atomics.notify(this.control, STATE);
  }

  /** Tells the waiting workers there is nothing to do (the scan takes the one-thread path). */
  cancel(): void {
    Atomics.store(this.control, STATE, CANCELLED);
    Atomics.notify(this.control, STATE);
  }

  /** Blocks (worker threads only) until the pieces are published (true) or the scan is cancelled (false). */
  waitForPieces(): boolean {
    Atomics.wait(this.control, STATE, WAITING);
    return Atomics.load(this.control, STATE) === PUBLISHED;
  }

  /** The next piece nobody has taken yet, with its index, or null when all are taken or the scan was cancelled. */
  take(): { index: number; range: ByteRange } | null {
    if (Atomics.load(this.control, STATE) !== PUBLISHED) return null;
    const index = Atomics.add(this.control, NEXT, 1);
    if (index >= Atomics.load(this.control, COUNT)) return null;
    return { index, range: { start: this.bounds[index] as number, end: this.bounds[index + 1] as number } };
  }
}
