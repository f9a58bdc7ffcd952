/**
 * What may be kept from a damaged JSONL line: the one rule, in one place.
 *
 * A damaged line is one that is not exactly one JSON value. Trying JSON.parse at every '{' or
 * '[' of it would "recover" values that nobody wrote: an array inside a string (`"x [1] y"`), a
 * key of a pretty-printed object, the last field of a record cut by NUL bytes. So only two
 * shapes are kept, and everything else on the line is damage (quarantined by repair):
 *
 * (a) fused: the whole segment is objects and/or arrays written one after the other, optionally
 *     separated by JSON whitespace (`{"a":1}{"b":2}`, `{"a":1} [2]`);
 * (b) torn prefix + record: the segment ends with one object, or a fused run that starts with an
 *     object and has nothing between its values (as writers fuse records: a missing newline),
 *     and what comes before it is the start of a record cut short: its first byte is '{' or
 *     '[' (a writer died mid-record and the next one appended on the same line), a NUL (a hole
 *     left by a crash) or a UTF-8 byte-order mark (a concatenated file). The longest such run
 *     is kept, unless its first value may be nested in a torn record before it: when the bytes
 *     from the torn text's start (after the last NUL or byte-order mark before the value, if
 *     any, else the segment start), or from any '{' or '[' between there and the value (a line
 *     can hold several torn records), up to the value's end still read as the unfinished start
 *     of one JSON value (the streaming validator of json-syntax.ts has not failed, and they are
 *     not one complete value), the value may be a member or element of a torn record
 *     (`{"cfg":1,"env":{"HOME":"/"}`, `[1,{"x":1}`, `{"m":"a {}`), so it is not kept and the
 *     search goes on after it. A record appended after a tear fails that check as soon as its
 *     own text stops fitting (`{"type":"x","prNu{"type":"y"}`: `"prNu{"` closes a key, then
 *     `type` cannot follow), and is kept.
 *
 * Never kept: a scalar or string; a value followed by anything but whitespace or another kept
 * value on its segment (`{"a":1}` + NULs, `{"x":1},`); a value after a prefix that is not a torn
 * record start (`  "meta": {"x":1}` from a pretty-printed object).
 *
 * Ambiguities that remain, both without losing a byte (what is not kept is quarantined):
 * - a whole record appended right where a value could start in a torn one (after its `:`,
 *   `,` or `[`: `{"a":` + `{"id":2}`; also after a '[' in a torn string, `{"m":"see [` +
 *   `{"id":2}`) reads as nested and is not kept;
 * - after a NUL hole the torn record's context is lost (a hole may have erased its opening), so
 *   a value there that a tear happened to leave whole (`{"a":1,` NULs `"b":{"c":1}` cut after
 *   `}`) can still be kept. Such values end their line, followed by nothing or by other kept
 *   values.
 *
 * Effort is capped (about 16 bytes scanned per byte of the segment plus 64 KiB), so a line of
 * thousands of unclosed brackets stays linear; past the cap nothing is kept.
 */
import { isUtf8 } from 'node:buffer';
import { JsonSyntaxValidator } from './json-syntax';
import type { Utf8Slicer } from './jsonl-decode';

/** One value kept from a damaged segment: bytes [start, end) of the buffer, parsed. */
export interface SalvagedValue {
  start: number;
  end: number;
  value: unknown;
}

/** What salvageSegment found: the kept run (possibly empty) and where it starts. */
export interface SalvageResult {
  /** Buffer index where the kept run starts (its first value's start), or -1 when nothing is kept. */
  keepFrom: number;
  /** The kept values in order; empty when keepFrom is -1. */
  values: SalvagedValue[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isWhitespace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** A torn record start: '{', '[', a NUL hole, or a byte-order mark. */
function isTornStart(buf: Buffer, i: number, end: number): boolean {
  const c = buf[i];
  if (c === OPEN_BRACE || c === OPEN_BRACKET || c === 0) return true;
  return c === 0xef && i + 2 < end && buf[i + 1] === 0xbb && buf[i + 2] === 0xbf;
}

/**
 * End (exclusive) of the bracketed value opening at `p` (string-aware), or -1 when it is not
 * closed before `end`. Brackets are not matched by kind here; JSON.parse checks the value after.
 */
export function bracketedEnd(buf: Buffer, p: number, end: number): number {
  let depth = 0;
  for (let i = p; i < end; i++) {
    const c = buf[i];
    if (c === QUOTE) {
      i = closingQuote(buf, i + 1, end);
      if (i < 0) return -1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * Index of the quote that closes a string whose content starts at `from`, or -1 when there is
 * none before `end`. A backslash escapes the byte after it, so a quote is escaped exactly when an
 * odd run of backslashes precedes it (the run cannot reach back past the opening quote). The
 * quotes are found with memchr: damaged agent lines are mostly long strings, and a byte loop
 * over them dominated the cost of salvage.
 */
function closingQuote(buf: Buffer, from: number, end: number): number {
  for (let i = from; ; ) {
    const q = buf.indexOf(QUOTE, i);
    if (q < 0 || q >= end) return -1;
    let k = q;
    while (k > i && buf[k - 1] === BACKSLASH) k--;
    if ((q - k) % 2 === 0) return q;
    i = q + 1;
  }
}

/**
 * Classifies a damaged segment `buf[a, b)` (no '\n', no bare CR) by the rule in the module
 * header. `decode` turns bytes into a string (the reader's fast UTF-8 slicer).
 */
export function salvageSegment(buf: Buffer, a: number, b: number, decode: Utf8Slicer): SalvageResult {
  while (a < b && isWhitespace(buf[a])) a++;
  while (b > a && isWhitespace(buf[b - 1])) b--;
  const none: SalvageResult = { keepFrom: -1, values: [] };
  if (a >= b) return none;
  // Every kept run ends with a whole object or array exactly at b (trailing whitespace was cut
  // above): anything else there, as on a truncated line, and there is nothing to search for.
  const lastByte = buf[b - 1];
  if (lastByte !== CLOSE_BRACE && lastByte !== CLOSE_BRACKET) return none;
  const budget = { left: 16 * (b - a) + 65536 };
  const first = buf[a];
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    const run = parseRun(buf, a, b, budget, decode, false);
    if (run) return { keepFrom: a, values: run };
  }
  if (!isTornStart(buf, a, b)) return none;
  // Where the torn text that a candidate may be nested in starts: after the last NUL or BOM.
  let context = a;
  for (let p = a; p < b && budget.left > 0; p++) {
    const c = buf[p];
    if (c === 0) {
      context = p + 1;
      continue;
    }
    if (c === 0xef && buf[p + 1] === 0xbb && buf[p + 2] === 0xbf) {
      context = p + 3;
      continue;
    }
    if (c !== OPEN_BRACE || p === a) continue;
    const run = parseRun(buf, p, b, budget, decode, true);
    const first = run?.[0];
    if (run && first && !mayBeNested(buf, context, p, first.end, budget)) return { keepFrom: p, values: run };
  }
  return none;
}

/**
 * True when the candidate value `buf[p, end)` may be part of a torn record before it: from the
 * torn text's start `from`, or from any '{' or '[' between it and `p` (several torn records can
 * precede it on one line), the bytes up to `end` still read as the unfinished start of one JSON
 * value. Also true when the effort cap runs out (undecided: not kept, nothing is lost).
 */
function mayBeNested(buf: Buffer, from: number, p: number, end: number, budget: { left: number }): boolean {
  const v = new JsonSyntaxValidator();
  for (let q = p - 1; q >= from; q--) {
    const c = buf[q];
    if (q !== from && c !== OPEN_BRACE && c !== OPEN_BRACKET) continue;
    if (budget.left <= 0) return true;
    v.reset();
    const ok = v.push(buf, q, end);
    // The validator stops at the first error: charge what it read.
    budget.left -= ok ? end - q : v.errorOffset + 1;
    if (ok && !v.end()) return true;
  }
  return false;
}

/**
 * Objects/arrays from `p` to exactly `b`, separated only by whitespace (by nothing when
 * `adjacent`); null if the bytes are anything else, or a value is not valid UTF-8, or the budget
 * ran out.
 */
function parseRun(
  buf: Buffer,
  p: number,
  b: number,
  budget: { left: number },
  decode: Utf8Slicer,
  adjacent: boolean,
): SalvagedValue[] | null {
  const values: SalvagedValue[] = [];
  // Structure first (cheap), parse only a run that covers the whole rest of the segment.
  const spans: number[] = [];
  let q = p;
  while (q < b) {
    const c = buf[q];
    if (c !== OPEN_BRACE && c !== OPEN_BRACKET) return null;
    const end = bracketedEnd(buf, q, b);
    budget.left -= (end < 0 ? b : end) - q;
    if (end < 0 || budget.left < 0) return null;
    spans.push(q, end);
    q = end;
    if (!adjacent) while (q < b && isWhitespace(buf[q])) q++;
  }
  for (let i = 0; i < spans.length; i += 2) {
    const start = spans[i] as number;
    const end = spans[i + 1] as number;
    budget.left -= end - start;
    if (budget.left < 0) return null;
    // UTF-8 first (cheaper than decoding and parsing): decoding would have turned invalid bytes
    // into U+FFFD, which JSON.parse accepts.
    if (!isUtf8(buf.subarray(start, end))) return null;
    let value: unknown;
    try {
      value = JSON.parse(decode(buf, start, end));
    } catch {
      return null;
    }
    values.push({ start, end, value });
  }
  return values;
}
