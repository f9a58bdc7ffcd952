/**
 * Turning a line's UTF-8 bytes into the string JSON.parse reads: the largest cost of reading
 * records with values, next to JSON.parse itself.
 *
 * Two decoders, chosen per block of lines by how much of the text is multi-byte (the result is
 * the same string either way; only the speed differs):
 * - decodeUtf8: Node's own UTF-8 slice. V8 copies ASCII runs quickly but walks every byte after
 *   the first multi-byte sequence through a state machine, twice (once to size the string, once
 *   to fill it), so text that is mostly non-ASCII (Cyrillic, CJK) decodes at about 10 ns a byte
 *   (Node 20, measured on the 'intl' data of bench/jsonl-data.ts).
 * - decodeValidUtf8: a one-pass decoder into a reused UTF-16 scratch array, then one copy into a
 *   string; about twice as fast on such text, slower on mostly-ASCII text. It trusts its input
 *   to be valid UTF-8 (the parser checks each block with buffer.isUtf8 first), so it has no
 *   error handling: on valid input both decoders give the same code units (RFC 3629, section 3).
 */

import { endianness } from 'node:os';

/** Decodes bytes [start, end) of buf as UTF-8 (invalid bytes become U+FFFD). */
export type Utf8Slicer = (buf: Buffer, start: number, end: number) => string;

// Buffer#toString validates its arguments and dispatches on the encoding on every call, which
// shows up at hundreds of thousands of lines per second; Node's own utf8Slice (what toString
// ends up calling) skips that. Fall back to toString where it is missing.
const nativeUtf8Slice = (Buffer.prototype as unknown as { utf8Slice?: (start: number, end: number) => string })
  .utf8Slice;
// The scratch array is read back as UTF-16LE, so it must be in the host's order: little-endian.
const nativeUcs2Slice =
  endianness() === 'LE'
    ? (Buffer.prototype as unknown as { ucs2Slice?: (start: number, end: number) => string }).ucs2Slice
    : undefined;

/** Node's UTF-8 decoding of bytes [start, end) of buf. */
export const decodeUtf8: Utf8Slicer =
  typeof nativeUtf8Slice === 'function'
    ? (buf, start, end) => nativeUtf8Slice.call(buf, start, end)
    : (buf, start, end) => buf.toString('utf8', start, end);

/**
 * Lines up to this many bytes go through decodeValidUtf8 (its scratch array is at most twice
 * this); longer ones through decodeUtf8, so one huge line does not pin a huge scratch buffer.
 */
export const MAX_SCRATCH_DECODE_BYTES = 256 * 1024;

/** Share of sampled bytes >= 0x80 from which decodeValidUtf8 is the faster decoder. */
const WIDE_SHARE = 0.25;
const SAMPLES = 4;
const SAMPLE_BYTES = 64;

let scratch = new Uint16Array(4096);
let scratchBytes = Buffer.from(scratch.buffer);

/**
 * True when bytes [start, end) of buf look mostly multi-byte (at least WIDE_SHARE of a few
 * evenly spread samples is >= 0x80): the block's lines are then faster through decodeValidUtf8.
 * A guess from samples, so it costs next to nothing; a wrong guess only costs speed.
 */
export function looksMostlyMultibyte(buf: Buffer, start: number, end: number): boolean {
  const len = end - start;
  if (len <= 0) return false;
  const step = Math.max(1, Math.floor(len / SAMPLES));
  let high = 0;
  let seen = 0;
  for (let k = 0; k < SAMPLES; k++) {
    const from = start + k * step;
    const to = Math.min(end, from + SAMPLE_BYTES);
    for (let i = from; i < to; i++) {
      if ((buf[i] as number) >= 0x80) high++;
    }
    seen += Math.max(0, to - from);
  }
  return seen > 0 && high >= seen * WIDE_SHARE;
}

/**
 * Decodes bytes [start, end) of buf, which must be valid UTF-8 (checked by the caller; invalid
 * input gives an unspecified string) and at most MAX_SCRATCH_DECODE_BYTES long (longer input
 * goes to decodeUtf8). Four-byte sequences become surrogate pairs, as in any JS string.
 */
export function decodeValidUtf8(buf: Buffer, start: number, end: number): string {
  if (end - start > MAX_SCRATCH_DECODE_BYTES || typeof nativeUcs2Slice !== 'function') return decodeUtf8(buf, start, end);
  // At most one UTF-16 unit per byte (4 bytes give 2 units).
  if (end - start > scratch.length) {
    scratch = new Uint16Array(Math.max(end - start, scratch.length * 2));
    scratchBytes = Buffer.from(scratch.buffer);
  }
  const out = scratch;
  let j = 0;
  let i = start;
  while (i < end) {
    const c = buf[i] as number;
    if (c < 0x80) {
      out[j++] = c;
      i += 1;
    } else if (c < 0xe0) {
      out[j++] = ((c & 0x1f) << 6) | ((buf[i + 1] as number) & 0x3f);
      i += 2;
    } else if (c < 0xf0) {
      out[j++] = ((c & 0x0f) << 12) | (((buf[i + 1] as number) & 0x3f) << 6) | ((buf[i + 2] as number) & 0x3f);
      i += 3;
    } else {
      const cp =
        (((c & 0x07) << 18) | (((buf[i + 1] as number) & 0x3f) << 12) | (((buf[i + 2] as number) & 0x3f) << 6) | ((buf[i + 3] as number) & 0x3f)) -
        0x10000;
      out[j++] = 0xd800 | (cp >> 10);
      out[j++] = 0xdc00 | (cp & 0x3ff);
      i += 4;
    }
  }
  return nativeUcs2Slice.call(scratchBytes, 0, 2 * j);
}
