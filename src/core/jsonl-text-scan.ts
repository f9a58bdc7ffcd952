/**
 * Scanning JSONL held as text (an open editor document) without blocking the event loop: the
 * text is fetched, UTF-8 encoded and parsed in slices with a yield between them, and the byte
 * offsets of what was found are mapped back to character offsets in slices too. No step touches
 * more than one slice at a time, so a 40 MB document costs many short turns instead of one long
 * one (the editor's diagnostics, src/ui/jsonl-diagnostics.ts, run it inside the extension host;
 * bench/diagnostics-worker.ts measures the longest turn with monitorEventLoopDelay).
 *
 * Offsets are in UTF-16 code units of the text, as editors count them. A slice never ends
 * between the two halves of a surrogate pair, so the bytes parsed are exactly the UTF-8
 * encoding of the text.
 */
import { problemReason, problemSentence, type ProblemReason } from './problem-text';
import { JsonlParser } from './jsonl-parser';
import type { JsonlProblem, JsonlStats, ProblemKind } from './jsonl-problems';

/**
 * The text being scanned: its length, and any part of it. `text(start, end)` may return less
 * than asked (never more), as long as what it returns starts at `start`.
 */
export interface TextSource {
  /** Length in UTF-16 code units. */
  readonly length: number;
  /** The code units [start, end). */
  text(start: number, end: number): string;
}

/** Something found, with its span in code units of the text. */
export interface TextFinding {
  kind: ProblemKind | 'recovered';
  start: number;
  end: number;
  /** The English sentence (problemSentence of `reason`), e.g. for logs. */
  message: string;
  /** Why, as a code with its values: a UI words it in its own language with problemSentence. */
  reason: ProblemReason;
}

export interface TextScanOptions {
  /** Code units per slice. Default 64 Ki (well under a millisecond of work on a quiet machine). */
  sliceChars?: number;
  /** Findings kept (the statistics stay exact). Default 1000. */
  maxFindings?: number;
  /** Called between slices; a true answer abandons the scan (the result is then undefined). */
  stale?(): boolean;
}

interface Slice {
  byteStart: number;
  charStart: number;
  bytes: Buffer;
}

interface ByteFinding {
  kind: ProblemKind | 'recovered';
  offset: number;
  length: number;
  reason: ProblemReason;
}

const RECOVERED: ProblemReason = { code: 'recovered' };

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Scans `source` as JSONL (values are not built). Resolves to the statistics and the first
 * findings in file order, or undefined when `stale()` said so between slices.
 */
export async function scanText(
  source: TextSource,
  options: TextScanOptions = {},
): Promise<{ stats: JsonlStats; findings: TextFinding[] } | undefined> {
  const sliceChars = Math.max(1, options.sliceChars ?? 64 * 1024);
  const maxFindings = options.maxFindings ?? 1000;
  const found: ByteFinding[] = [];
  const parser = new JsonlParser(
    {
      record(_value, _line, offset, length, recovered) {
        if (recovered && found.length < maxFindings) found.push({ kind: 'recovered', offset, length, reason: RECOVERED });
      },
      problem(p: JsonlProblem, span: Buffer | null, start: number) {
        // Judged now: the parser reuses its buffers after this call.
        if (found.length < maxFindings) {
          const reason = problemReason(p, span ? span.subarray(start, start + p.length) : undefined);
          found.push({ kind: p.kind, offset: p.offset, length: p.length, reason });
        }
      },
    },
    { values: false },
  );
  const slices: Slice[] = [];
  let byteStart = 0;
  for (let at = 0; at < source.length; ) {
    let end = Math.min(source.length, at + sliceChars);
    let text = source.text(at, end);
    while (text.length === 0 && end < source.length) text = source.text(at, ++end);
    if (text.length === 0) break;
    const last = text.charCodeAt(text.length - 1);
    if (at + text.length < source.length && last >= 0xd800 && last <= 0xdbff) {
      // Keep a surrogate pair together: drop its high half to the next slice, or, when it is the
      // whole slice, take the low half too.
      text = text.length > 1 ? text.slice(0, -1) : source.text(at, at + 2);
    }
    const bytes = Buffer.from(text, 'utf8');
    slices.push({ byteStart, charStart: at, bytes });
    parser.push(bytes);
    byteStart += bytes.length;
    // By what was returned: an editor may clamp a range end that falls inside a CRLF pair.
    at += text.length;
    await turn();
    if (options.stale?.()) return undefined;
  }
  const stats = parser.end();
  found.sort((a, b) => a.offset - b.offset);
  const mapper = new SliceMapper(slices);
  const findings: TextFinding[] = [];
  let budget = 0;
  for (const f of found) {
    const start = mapper.charAt(f.offset);
    const end = mapper.charAt(f.offset + f.length);
    findings.push({ kind: f.kind, start, end, message: problemSentence(f.reason), reason: f.reason });
    // Mapping decodes at most a slice per call; yield every few slices' worth.
    budget += mapper.lastCost;
    if (budget > 4 * sliceChars) {
      budget = 0;
      await turn();
      if (options.stale?.()) return undefined;
    }
  }
  return { stats, findings };
}

/**
 * Byte offset -> code-unit offset over the slices: finds the slice by binary search, then walks
 * forward inside it from the last position (back to the slice start when going backwards).
 */
class SliceMapper {
  private slice = -1;
  private byte = 0;
  private char = 0;
  /** Bytes decoded by the last charAt (to pace the yields). */
  lastCost = 0;

  constructor(private readonly slices: readonly Slice[]) {}

  charAt(byteOffset: number): number {
    const k = this.find(byteOffset);
    const s = this.slices[k];
    if (s === undefined) return 0;
    if (k !== this.slice || byteOffset < this.byte) {
      this.slice = k;
      this.byte = s.byteStart;
      this.char = s.charStart;
    }
    const from = this.byte - s.byteStart;
    const to = Math.min(s.bytes.length, byteOffset - s.byteStart);
    this.char += s.bytes.toString('utf8', from, to).length;
    this.lastCost = to - from;
    this.byte = byteOffset;
    return this.char;
  }

  /** Index of the slice holding byteOffset (the last one for the offset at the very end). */
  private find(byteOffset: number): number {
    let lo = 0;
    let hi = this.slices.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.slices[mid] as Slice).byteStart <= byteOffset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
