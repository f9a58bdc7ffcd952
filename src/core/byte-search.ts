/**
 * Fast byte searches over read buffers, for the two searches that validating JSONL on its bytes
 * spends most of its time in: the end of plain JSON string content (the first control character,
 * '"' or '\'; string content is most of a record) and the end of a line. JavaScript tests a
 * byte, or with word tricks four, per step, and Buffer#indexOf pays a call into C++ per line; the
 * WebAssembly module (src/core/wasm/byte-search.wat) tests sixteen bytes per step with SIMD and is
 * cheap to call (measured on the benchmark machine: ~10 GB/s against ~1 GB/s for the string
 * search).
 *
 * WebAssembly code can only read its own memory, so the searches apply to bytes read into it:
 * scanBuffer() hands out read buffers inside that memory (eight of 1 MiB per thread), and
 * json-bytes.ts and jsonl-parser.ts use the searches for bytes in those buffers and their
 * JavaScript loops elsewhere (a line carried over from the previous chunk, text from the editor).
 * Without WebAssembly SIMD (an old runtime), every buffer is an ordinary one and nothing else
 * changes.
 */
import { BYTE_SEARCH_WASM } from './byte-search-wasm';

interface StopExports {
  memory: { buffer: ArrayBuffer };
  stringStop(from: number, end: number): number;
  newline(from: number, end: number): number;
  validate(from: number, end: number): number;
}

/** The part of the WebAssembly JS API used here (this project's TypeScript libs do not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

/** Size of each read buffer handed out from the searches' memory, and how many there are. */
export const SCAN_BUFFER_BYTES = 1024 * 1024;
const SCAN_BUFFERS = 8;

function instantiate(): StopExports | null {
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (!api) return null;
  try {
    const module = new api.Module(Buffer.from(BYTE_SEARCH_WASM, 'base64'));
    const exports = new api.Instance(module).exports as StopExports;
    // The memory has a fixed size (never grown), so views of it are never detached.
    if (exports.memory.buffer.byteLength < SCAN_BUFFERS * SCAN_BUFFER_BYTES) return null;
    return exports;
  } catch {
    return null; // no WebAssembly SIMD here: the JavaScript path does the work
  }
}

const wasm = instantiate();

/** The memory the searches read, or null without WebAssembly: bytes whose `.buffer` is this can be searched here. */
export const searchMemory: ArrayBuffer | null = wasm ? wasm.memory.buffer : null;

const unavailable = (): number => {
  throw new RangeError('no WebAssembly byte search here: searchMemory is null, so no offset is in it');
};

/**
 * Index of the first byte in [from, end) that is < 0x20, '"' or '\', or `end` when there is none.
 * Offsets are into searchMemory (a buffer's byteOffset plus the index in it); only call it when
 * searchMemory is not null.
 */
export const firstStringStop: (from: number, end: number) => number = wasm ? wasm.stringStop : unavailable;

/** Index of the first '\n' in [from, end), or `end` when there is none; offsets as for firstStringStop. */
export const firstNewline: (from: number, end: number) => number = wasm ? wasm.newline : unavailable;

/** What jsonTextInMemory answers: not one JSON value, one JSON value, or nested too deep to tell here. */
export const JSON_INVALID = 0;
export const JSON_VALID = 1;
export const JSON_TOO_DEEP = 2;

/**
 * Whether [from, end) is exactly one JSON value with optional whitespace around it, for bytes
 * known to be valid UTF-8 (the same answer as json-bytes.ts): JSON_VALID, JSON_INVALID, or
 * JSON_TOO_DEEP past 65,536 open containers (then ask json-bytes.ts's JavaScript validator,
 * which has no limit). Offsets as for firstStringStop.
 */
export const jsonTextInMemory: (from: number, end: number) => number = wasm ? wasm.validate : unavailable;

const free: number[] = [];
for (let k = SCAN_BUFFERS - 1; k >= 0; k--) free.push(k * SCAN_BUFFER_BYTES);
/** The buffers lent now, by identity, with where each starts: only these can be given back, once. */
const lent = new WeakMap<Buffer, number>();
/**
 * A lent buffer that is dropped without being given back (a readJsonl iterator abandoned
 * half-way never runs its cleanup) comes back once it is garbage: nothing else can read it then.
 */
const reclaim = new FinalizationRegistry<number>((start) => free.push(start));

/**
 * A read buffer of `size` bytes, from the searches' memory when one of its buffers is free and
 * `size` fits, else an ordinary Buffer (never zero-filled either way: it is read into). Give it
 * back with releaseScanBuffer when done; one that is dropped instead comes back when it is
 * garbage collected.
 */
export function scanBuffer(size: number): Buffer {
  if (searchMemory !== null && size <= SCAN_BUFFER_BYTES && free.length > 0) {
    const start = free.pop() as number;
    const buf = Buffer.from(searchMemory, start, size);
    lent.set(buf, start);
    reclaim.register(buf, start, buf);
    return buf;
  }
  return Buffer.allocUnsafe(size);
}

/** Gives back a buffer from scanBuffer; anything else (an ordinary buffer, one given back already) is ignored. */
export function releaseScanBuffer(buf: Buffer): void {
  const start = lent.get(buf);
  if (start === undefined) return;
  lent.delete(buf);
  reclaim.unregister(buf);
  free.push(start);
}
