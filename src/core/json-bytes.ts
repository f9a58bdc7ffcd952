/**
 * One-shot JSON syntax check of bytes already known to be valid UTF-8: the fast path with which
 * `check`, repair and the editor's diagnostics validate a line without decoding it into a string
 * or building its value (jsonl-parser.ts, `values: false`).
 *
 * Answers exactly what `JSON.parse(utf8Decode(bytes))` would (RFC 8259 / ECMA-404: one value,
 * optionally surrounded by space, tab, CR, LF; any \u escape, lone surrogates included; numbers
 * of any size; any nesting depth, no recursion) PROVIDED the caller has checked that the bytes
 * are valid UTF-8 (Node's `isUtf8`, a vectorised check over many lines at once). Under that
 * condition a byte >= 0x80 is part of a multi-byte character, and every character >= U+0080 is
 * legal inside a string and illegal anywhere else, so such bytes need no decoding: they are
 * plain string content. json-syntax.ts is the resumable validator that also checks UTF-8 itself;
 * both are compared with JSON.parse by property tests (test/unit/json-syntax.test.ts).
 *
 * Written as a tight loop over the bytes with a lookup table for string content (the bulk of a
 * record), and a byte per open container as the only state. Lines in the read buffers of the
 * WebAssembly module (byte-search.ts) are validated there, by the same rules written again in
 * src/core/wasm/byte-search.wat; the property tests run both.
 */
import { firstStringStop, JSON_TOO_DEEP, JSON_VALID, jsonTextInMemory, searchMemory } from './byte-search';

/** 1 for the bytes that end plain string content: '"', '\\', and the control characters. */
const STRING_STOP = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) STRING_STOP[c] = 1;
STRING_STOP[0x22] = 1;
STRING_STOP[0x5c] = 1;

const HEX = new Uint8Array(256);
for (const c of Buffer.from('0123456789abcdefABCDEF')) HEX[c] = 1;

/** 1 for JSON whitespace: space, tab, LF, CR. */
const WS = new Uint8Array(256);
WS[0x20] = WS[0x09] = WS[0x0a] = WS[0x0d] = 1;

// Container kinds on the stack; each is also the mode that follows its opening or a ',' in it.
const IN_ARRAY = 0; // = EXPECT_VALUE
const IN_OBJECT = 1; // = EXPECT_KEY
const EXPECT_VALUE = 0;
const EXPECT_KEY = 1;
const AFTER_VALUE = 2;

/** Shared container stack, grown on demand (one byte per open container). */
let stack = new Uint8Array(256);

/**
 * The same stop bytes, tested four at a time on a 32-bit word (SWAR, "SIMD within a register"):
 * non-zero when any byte of `x` is below 0x20, '"' or '\\'. Each term is the classic "has a byte
 * below n" test, ((x - n * 0x01010101) & ~x & 0x80808080), exact as a yes/no for n <= 0x80;
 * '"' and '\\' are "has a zero byte" after an XOR. Plain int32 arithmetic: V8 keeps it in
 * registers (the `| 0` wraps like the hardware does), where an unsigned view would turn words
 * above 2^31 into doubles.
 */
function stopsIn(x: number): number {
  const q = x ^ 0x22222222;
  const s = x ^ 0x5c5c5c5c;
  return ((((x - 0x20202020) | 0) & ~x) | (((q - 0x01010101) | 0) & ~q) | (((s - 0x01010101) | 0) & ~s)) & HIGH_BITS;
}
const HIGH_BITS = 0x80808080 | 0;

/**
 * A word view of the ArrayBuffer behind the bytes being validated. The view of the last buffer is
 * kept, as lines come many to a read chunk; but only of a buffer up to this size, so that a large
 * one (a whole document) is not kept alive after its scan.
 */
const MAX_KEPT_VIEW_BYTES = 8 * 1024 * 1024;
let words: Int32Array<ArrayBufferLike> = new Int32Array(0);
let wordsOf: ArrayBufferLike | null = null;

/**
 * Word offsets are int32 arithmetic (`>> 2`, `<< 2`), exact below 2 GiB; bytes further into a
 * larger ArrayBuffer are searched a byte at a time (null here).
 */
const MAX_WORD_BUFFER_BYTES = 0x7fffffff;

function wordsFor(b: Uint8Array): Int32Array | undefined {
  const buffer = b.buffer;
  // The length check: a resizable buffer may have grown or shrunk since its view was made.
  if (wordsOf === buffer && words.length === buffer.byteLength >>> 2) return words;
  if (buffer.byteLength > MAX_WORD_BUFFER_BYTES) return undefined;
  const view = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
  if (buffer.byteLength <= MAX_KEPT_VIEW_BYTES) {
    wordsOf = buffer;
    words = view;
  }
  return view;
}

/**
 * Index after the string whose opening quote is at i - 1, or -1 if it is not a valid string.
 * `base` is b.byteOffset. `w` is null when b is in the WebAssembly searches' memory (which then
 * finds the stop), undefined for an ArrayBuffer too large for word offsets (byte by byte), else
 * wordsFor(b): plain content is then skipped a word at a time from the first 4-byte boundary of
 * the ArrayBuffer, then byte by byte to the stop.
 */
function skipString(b: Uint8Array, i: number, end: number, w: Int32Array | null | undefined, base: number): number {
  for (;;) {
    if (w === null) {
      // In the WebAssembly searches' memory: sixteen bytes a step (byte-search.ts).
      i = firstStringStop(base + i, base + end) - base;
    } else if (w === undefined) {
      while (i < end && STRING_STOP[b[i] as number] === 0) i++;
    } else {
      // Up to the next word boundary one byte at a time, then whole words while none holds a stop.
      let a = base + i;
      while ((a & 3) !== 0 && i < end && STRING_STOP[b[i] as number] === 0) {
        i++;
        a++;
      }
      if ((a & 3) === 0) {
        const lastWord = (base + end - 4) >> 2; // the last word wholly before `end`
        let k = a >> 2;
        while (k <= lastWord && stopsIn(w[k] as number) === 0) k++;
        i = (k << 2) - base;
      }
      while (i < end && STRING_STOP[b[i] as number] === 0) i++;
    }
    if (i >= end) return -1;
    const c = b[i] as number;
    if (c === 0x22) return i + 1;
    if (c !== 0x5c || i + 1 >= end) return -1; // a raw control character, or a cut escape
    const e = b[i + 1] as number;
    if (e === 0x75) {
      if (i + 6 > end || HEX[b[i + 2] as number]! + HEX[b[i + 3] as number]! + HEX[b[i + 4] as number]! + HEX[b[i + 5] as number]! !== 4) return -1;
      i += 6;
    } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
      i += 2;
    } else {
      return -1;
    }
  }
}

/** Index after the number starting at i, or -1 if it is not a valid JSON number. */
function skipNumber(b: Uint8Array, i: number, end: number): number {
  if (b[i] === 0x2d) i++;
  if (i >= end) return -1;
  let c = b[i] as number;
  if (c === 0x30) {
    i++;
  } else if (c >= 0x31 && c <= 0x39) {
    i++;
    while (i < end && (c = b[i] as number) >= 0x30 && c <= 0x39) i++;
  } else {
    return -1;
  }
  if (i < end && b[i] === 0x2e) {
    const from = ++i;
    while (i < end && (c = b[i] as number) >= 0x30 && c <= 0x39) i++;
    if (i === from) return -1;
  }
  if (i < end && ((b[i] as number) | 0x20) === 0x65) {
    i++;
    if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) i++;
    const from = i;
    while (i < end && (c = b[i] as number) >= 0x30 && c <= 0x39) i++;
    if (i === from) return -1;
  }
  return i;
}

/**
 * True when `bytes[start, end)` is exactly one JSON value plus optional whitespace, as JSON.parse
 * would say of its decoding. The caller MUST have checked that these bytes are valid UTF-8
 * (otherwise the answer for bytes >= 0x80 inside strings is meaningless). Never throws.
 */
export function isJsonTextOfValidUtf8(b: Uint8Array, start = 0, end = b.length): boolean {
  if (searchMemory !== null && b.buffer === searchMemory) {
    // In a read buffer of the WebAssembly module: the same rules there, without a JavaScript
    // step per byte of structure (byte-search.ts). Only nesting past its stack comes back here.
    const answer = jsonTextInMemory(b.byteOffset + start, b.byteOffset + end);
    if (answer !== JSON_TOO_DEEP) return answer === JSON_VALID;
  }
  const valid = validate(b, start, end);
  // One very deep line (up to maxLineBytes of '[') must not keep its stack for the process's life.
  if (stack.length > 65536) stack = new Uint8Array(256);
  return valid;
}

function validate(b: Uint8Array, start: number, end: number): boolean {
  // null: the bytes are in the WebAssembly searches' memory, which skipString then uses.
  const w = searchMemory !== null && b.buffer === searchMemory ? null : wordsFor(b);
  const base = b.byteOffset;
  let i = start;
  let depth = 0;
  let mode = EXPECT_VALUE;
  for (;;) {
    while (i < end && WS[b[i] as number] === 1) i++;
    if (mode === AFTER_VALUE) {
      if (depth === 0) return i === end;
      if (i >= end) return false;
      const c = b[i++] as number;
      const top = stack[depth - 1] as number;
      if (c === 0x2c) {
        mode = top; // IN_ARRAY -> a value, IN_OBJECT -> a key
      } else if ((c === 0x5d && top === IN_ARRAY) || (c === 0x7d && top === IN_OBJECT)) {
        depth--;
      } else {
        return false;
      }
      continue;
    }
    if (i >= end) return false;
    const c = b[i] as number;
    if (mode === EXPECT_KEY) {
      if (c !== 0x22) return false;
      i = skipString(b, i + 1, end, w, base);
      if (i < 0) return false;
      while (i < end && WS[b[i] as number] === 1) i++;
      if (b[i] !== 0x3a || i >= end) return false;
      i++;
      mode = EXPECT_VALUE;
      continue;
    }
    mode = AFTER_VALUE;
    switch (c) {
      case 0x22:
        i = skipString(b, i + 1, end, w, base);
        if (i < 0) return false;
        continue;
      case 0x7b:
      case 0x5b: {
        i++;
        while (i < end && WS[b[i] as number] === 1) i++;
        // '{' + 2 is '}', '[' + 2 is ']': an empty container is a whole value.
        if (i < end && b[i] === c + 2) {
          i++;
          continue;
        }
        if (depth === stack.length) {
          const grown = new Uint8Array(depth * 2);
          grown.set(stack);
          stack = grown;
        }
        const kind = c === 0x7b ? IN_OBJECT : IN_ARRAY;
        stack[depth++] = kind;
        mode = kind;
        continue;
      }
      case 0x74: // true
        if (i + 4 > end || b[i + 1] !== 0x72 || b[i + 2] !== 0x75 || b[i + 3] !== 0x65) return false;
        i += 4;
        continue;
      case 0x66: // false
        if (i + 5 > end || b[i + 1] !== 0x61 || b[i + 2] !== 0x6c || b[i + 3] !== 0x73 || b[i + 4] !== 0x65) return false;
        i += 5;
        continue;
      case 0x6e: // null
        if (i + 4 > end || b[i + 1] !== 0x75 || b[i + 2] !== 0x6c || b[i + 3] !== 0x6c) return false;
        i += 4;
        continue;
      default:
        i = skipNumber(b, i, end);
        if (i < 0) return false;
    }
  }
}
