/**
 * Resumable, byte-level JSON syntax validator.
 *
 * Answers "would `JSON.parse` accept the UTF-8 decoding of these bytes, and are they valid
 * UTF-8?" without decoding or building a value, for input fed in pieces of any size. Grammar:
 * RFC 8259 (one value, optionally surrounded by whitespace = space, tab, CR, LF). Like
 * JSON.parse it accepts any \u escape, lone surrogates included, and numbers of any size.
 * Unlike decoding-then-parsing it rejects invalid UTF-8 (which decoding would silently turn into
 * U+FFFD), overlong forms and encoded surrogates included. A byte-order mark is not whitespace,
 * so a leading EF BB BF is rejected, as JSON.parse rejects U+FEFF.
 *
 * Memory is one byte per open container (any nesting depth, no recursion); time is linear.
 * The JSONL parser uses it for lines too long to hold in memory (see jsonl-parser.ts).
 */

// Parser states. "After" states are where a value just ended.
const VALUE = 0; // a value must come (top level start, after ':' or after ',' in an array)
const VALUE_OR_CLOSE = 1; // after '['
const KEY_OR_CLOSE = 2; // after '{'
const KEY = 3; // after ',' in an object
const COLON = 4;
const AFTER = 5; // after a value inside a container: ',' or the closing bracket
const DONE = 6; // the top-level value is complete: only whitespace may follow
const STRING = 7;
const ESCAPE = 8;
const UNICODE = 9; // inside \uXXXX, `pending` hex digits to go
const UTF8 = 10; // inside a multi-byte sequence in a string, `pending` continuation bytes to go
const LITERAL = 11; // inside true/false/null
const NUM_MINUS = 12;
const NUM_ZERO = 13;
const NUM_INT = 14;
const NUM_DOT = 15;
const NUM_FRAC = 16;
const NUM_E = 17;
const NUM_E_SIGN = 18;
const NUM_EXP = 19;
const ERROR = 20;

const ARRAY = 0;
const OBJECT = 1;

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

/** Byte classes for the string fast path: 1 = plain ASCII string content. */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x80; c++) PLAIN[c] = c === 0x22 || c === 0x5c ? 0 : 1;

const HEX = new Uint8Array(256);
for (const c of Buffer.from('0123456789abcdefABCDEF')) HEX[c] = 1;

/** Index of the first byte in [i, end) that is not plain ASCII string content. */
function skipPlain(buf: Uint8Array, i: number, end: number): number {
  while (i < end && PLAIN[buf[i] as number] === 1) i++;
  return i;
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Push validator: `push()` the bytes in order, then `end()`. Once an error is seen every later
 * call is a no-op and `end()` returns false. Reusable after `reset()`.
 */
export class JsonSyntaxValidator {
  private state = VALUE;
  private stack = new Uint8Array(64);
  private depth = 0;
  /** Whether the string being read is an object key (then a ':' follows it). */
  private inKey = false;
  /** Bytes still expected by UNICODE / UTF8 / LITERAL. */
  private pending = 0;
  /** Allowed range of the next continuation byte (UTF8). */
  private lo = 0;
  private hi = 0;
  private literal: Buffer = TRUE;
  private literalAt = 0;
  private consumed = 0;
  /** Offset (from the first byte pushed) of the first offending byte, or -1. */
  errorOffset = -1;

  /** Feeds `buf[start, end)`. Returns false once the input can no longer be valid JSON. */
  push(buf: Uint8Array, start = 0, end = buf.length): boolean {
    if (this.state === ERROR) return false;
    let state = this.state;
    let i = start;
    while (i < end) {
      const c = buf[i] as number;
      switch (state) {
        case STRING: {
          // Plain ASCII content is by far the most common: skip it in a tight loop.
          if (PLAIN[c] === 1) {
            i = skipPlain(buf, i + 1, end);
            continue;
          }
          if (c === 0x22) {
            state = this.inKey ? COLON : this.afterValue();
          } else if (c === 0x5c) {
            state = ESCAPE;
          } else if (c < 0x20) {
            state = ERROR;
          } else if (c >= 0xc2 && c <= 0xdf) {
            this.utf8(1, 0x80, 0xbf);
            state = UTF8;
          } else if (c === 0xe0) {
            this.utf8(2, 0xa0, 0xbf);
            state = UTF8;
          } else if (c === 0xed) {
            this.utf8(2, 0x80, 0x9f); // no encoded surrogates
            state = UTF8;
          } else if (c >= 0xe1 && c <= 0xef) {
            this.utf8(2, 0x80, 0xbf);
            state = UTF8;
          } else if (c === 0xf0) {
            this.utf8(3, 0x90, 0xbf);
            state = UTF8;
          } else if (c >= 0xf1 && c <= 0xf3) {
            this.utf8(3, 0x80, 0xbf);
            state = UTF8;
          } else if (c === 0xf4) {
            this.utf8(3, 0x80, 0x8f); // nothing above U+10FFFF
            state = UTF8;
          } else {
            state = ERROR;
          }
          break;
        }
        case UTF8:
          if (c < this.lo || c > this.hi) {
            state = ERROR;
          } else {
            this.lo = 0x80;
            this.hi = 0xbf;
            if (--this.pending === 0) state = STRING;
          }
          break;
        case ESCAPE:
          if (c === 0x75) {
            this.pending = 4;
            state = UNICODE;
          } else if (c === 0x22 || c === 0x5c || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74) {
            state = STRING;
          } else {
            state = ERROR;
          }
          break;
        case UNICODE:
          if (HEX[c] !== 1) state = ERROR;
          else if (--this.pending === 0) state = STRING;
          break;
        case LITERAL:
          if (c !== this.literal[this.literalAt]) state = ERROR;
          else if (++this.literalAt === this.literal.length) state = this.afterValue();
          break;
        case NUM_MINUS:
          if (c === 0x30) state = NUM_ZERO;
          else if (c >= 0x31 && c <= 0x39) state = NUM_INT;
          else state = ERROR;
          break;
        case NUM_INT:
          if (c >= 0x30 && c <= 0x39) {
            i++;
            while (i < end && (buf[i] as number) >= 0x30 && (buf[i] as number) <= 0x39) i++;
            continue;
          }
          if (c === 0x2e) state = NUM_DOT;
          else if (c === 0x65 || c === 0x45) state = NUM_E;
          else {
            state = this.afterValue();
            continue; // the byte that ended the number is handled in the new state
          }
          break;
        case NUM_ZERO:
          if (c === 0x2e) state = NUM_DOT;
          else if (c === 0x65 || c === 0x45) state = NUM_E;
          else {
            state = this.afterValue();
            continue;
          }
          break;
        case NUM_DOT:
          state = c >= 0x30 && c <= 0x39 ? NUM_FRAC : ERROR;
          break;
        case NUM_FRAC:
          if (c >= 0x30 && c <= 0x39) break;
          if (c === 0x65 || c === 0x45) state = NUM_E;
          else {
            state = this.afterValue();
            continue;
          }
          break;
        case NUM_E:
          if (c === 0x2b || c === 0x2d) state = NUM_E_SIGN;
          else state = c >= 0x30 && c <= 0x39 ? NUM_EXP : ERROR;
          break;
        case NUM_E_SIGN:
          state = c >= 0x30 && c <= 0x39 ? NUM_EXP : ERROR;
          break;
        case NUM_EXP:
          if (c >= 0x30 && c <= 0x39) break;
          state = this.afterValue();
          continue;
        case VALUE:
        case VALUE_OR_CLOSE:
          if (isWhitespace(c)) break;
          if (c === 0x5d && state === VALUE_OR_CLOSE) {
            this.depth--;
            state = this.afterValue();
          } else {
            state = this.startValue(c);
          }
          break;
        case KEY_OR_CLOSE:
        case KEY:
          if (isWhitespace(c)) break;
          if (c === 0x22) {
            this.inKey = true;
            state = STRING;
          } else if (c === 0x7d && state === KEY_OR_CLOSE) {
            this.depth--;
            state = this.afterValue();
          } else {
            state = ERROR;
          }
          break;
        case COLON:
          if (isWhitespace(c)) break;
          state = c === 0x3a ? VALUE : ERROR;
          break;
        case AFTER: {
          if (isWhitespace(c)) break;
          const top = this.stack[this.depth - 1];
          if (c === 0x2c) {
            state = top === OBJECT ? KEY : VALUE;
          } else if ((c === 0x5d && top === ARRAY) || (c === 0x7d && top === OBJECT)) {
            this.depth--;
            state = this.afterValue();
          } else {
            state = ERROR;
          }
          break;
        }
        case DONE:
          if (!isWhitespace(c)) state = ERROR;
          break;
        default:
          state = ERROR;
      }
      if (state === ERROR) {
        this.errorOffset = this.consumed + (i - start);
        break;
      }
      i++;
    }
    this.state = state;
    this.consumed += end - start;
    return state !== ERROR;
  }

  /** True when everything pushed is exactly one JSON value (plus whitespace), in valid UTF-8. */
  end(): boolean {
    const s = this.state;
    if (this.depth !== 0) return false;
    return s === DONE || s === NUM_ZERO || s === NUM_INT || s === NUM_FRAC || s === NUM_EXP;
  }

  /** True while everything pushed is whitespace (nothing, or only space, tab, CR, LF). */
  get onlyWhitespace(): boolean {
    return this.state === VALUE && this.depth === 0;
  }

  /** False once an error was seen. */
  get ok(): boolean {
    return this.state !== ERROR;
  }

  reset(): void {
    this.state = VALUE;
    this.depth = 0;
    this.consumed = 0;
    this.errorOffset = -1;
    if (this.stack.length > 4096) this.stack = new Uint8Array(64);
  }

  private utf8(continuation: number, lo: number, hi: number): void {
    this.pending = continuation;
    this.lo = lo;
    this.hi = hi;
  }

  private afterValue(): number {
    return this.depth === 0 ? DONE : AFTER;
  }

  private push1(kind: number): void {
    if (this.depth === this.stack.length) {
      const grown = new Uint8Array(this.stack.length * 2);
      grown.set(this.stack);
      this.stack = grown;
    }
    this.stack[this.depth++] = kind;
  }

  /** The state after the first byte `c` of a value. */
  private startValue(c: number): number {
    switch (c) {
      case 0x7b:
        this.push1(OBJECT);
        return KEY_OR_CLOSE;
      case 0x5b:
        this.push1(ARRAY);
        return VALUE_OR_CLOSE;
      case 0x22:
        this.inKey = false;
        return STRING;
      case 0x2d:
        return NUM_MINUS;
      case 0x30:
        return NUM_ZERO;
      case 0x74:
        return this.startLiteral(TRUE);
      case 0x66:
        return this.startLiteral(FALSE);
      case 0x6e:
        return this.startLiteral(NULL);
      default:
        return c >= 0x31 && c <= 0x39 ? NUM_INT : ERROR;
    }
  }

  private startLiteral(word: Buffer): number {
    this.literal = word;
    this.literalAt = 1;
    return LITERAL;
  }
}

/** One-shot form: is `bytes[start, end)` exactly one JSON value in valid UTF-8? */
export function isJsonText(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
  const v = new JsonSyntaxValidator();
  return v.push(bytes, start, end) && v.end();
}
