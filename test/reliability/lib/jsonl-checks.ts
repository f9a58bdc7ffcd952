// Properties of the JSONL reader, checked on one input. Each returns a list of violations (empty
// when all hold) instead of throwing, so a property failure names every broken rule at once.
import { isUtf8 } from 'node:buffer';
import { isDeepStrictEqual } from 'node:util';
import { JsonlParser, isFormatProblem, type JsonlProblem } from '../../../src/core/jsonl-reader';
import { isJsonText } from '../../../src/core/json-syntax';
import { mergeRanges, type RangeResult } from '../../../src/core/jsonl-ranges';
import { detectEncoding } from '../../../src/core/text-encoding';

export interface Parsed {
  records: Array<{ value: unknown; line: number; offset: number; length: number; recovered: boolean }>;
  /** Valid records over maxLineBytes (values not read). */
  oversized: Array<{ line: number; offset: number; length: number }>;
  problems: JsonlProblem[];
  stats: ReturnType<JsonlParser['end']>;
}

/** Damage problems only: the ones whose bytes repair quarantines. */
export function damage(parsed: Parsed): JsonlProblem[] {
  return parsed.problems.filter((p) => !isFormatProblem(p.kind));
}

/** Every record's span, oversized ones included, in file order. */
export function recordSpans(parsed: Parsed): Array<{ offset: number; length: number }> {
  return [...parsed.records, ...parsed.oversized].sort((a, b) => a.offset - b.offset);
}

/** Feeds `bytes` to the parser in pieces of the given sizes (cycled); `values: false` is the byte-validation path. */
export function parseInChunks(bytes: Buffer, chunkSizes: readonly number[], maxLineBytes: number, values = true): Parsed {
  const records: Parsed['records'] = [];
  const oversized: Parsed['oversized'] = [];
  const problems: JsonlProblem[] = [];
  const parser = new JsonlParser(
    {
      record: (value, line, offset, length, recovered) => records.push({ value, line, offset, length, recovered }),
      problem: (p) => problems.push(p),
      oversizedRecord: (line, offset, length) => oversized.push({ line, offset, length }),
    },
    { maxLineBytes, values },
  );
  let i = 0;
  for (let at = 0; at < bytes.length; i++) {
    const size = Math.max(1, chunkSizes[i % chunkSizes.length] ?? bytes.length);
    // A copy: the parser must not keep references into a buffer the caller reuses.
    const piece = Buffer.from(bytes.subarray(at, at + size));
    parser.push(piece);
    piece.fill(0xaa);
    at += size;
  }
  return { records, oversized, problems, stats: parser.end() };
}

const FORMATTING = new Set([0x20, 0x09, 0x0d, 0x0a]);

/**
 * Every byte is in exactly one record or damage problem span, or is documented formatting.
 * Format problems only point at places: their spans lie inside the file.
 */
export function checkPartition(bytes: Buffer, parsed: Parsed): string[] {
  const out: string[] = [];
  const owner = new Int32Array(bytes.length).fill(-1);
  const spans = [
    ...parsed.records.map((r, i) => ({ what: `record ${i}`, offset: r.offset, length: r.length })),
    ...parsed.oversized.map((r, i) => ({ what: `oversized record ${i}`, offset: r.offset, length: r.length })),
    ...damage(parsed).map((p, i) => ({ what: `problem ${i} (${p.kind})`, offset: p.offset, length: p.length })),
  ];
  for (const p of parsed.problems) {
    if (p.length <= 0 || p.offset < 0 || p.offset + p.length > bytes.length) out.push(`${p.kind} span [${p.offset}, +${p.length}) outside the file`);
  }
  // A UTF-16 file is one problem over all of it, and nothing else.
  if (parsed.problems.some((p) => p.kind === 'not-utf8') && (parsed.problems.length !== 1 || parsed.records.length > 0)) {
    out.push('a not-utf8 problem must be the only result');
  }
  spans.forEach((s, idx) => {
    if (s.length <= 0 || s.offset < 0 || s.offset + s.length > bytes.length) {
      out.push(`${s.what}: span [${s.offset}, +${s.length}) outside the file of ${bytes.length} bytes`);
      return;
    }
    for (let b = s.offset; b < s.offset + s.length; b++) {
      if (owner[b] !== -1) {
        out.push(`byte ${b} is in two spans (${s.what} and span ${owner[b]})`);
        return;
      }
      owner[b] = idx;
    }
  });
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  for (let b = 0; b < bytes.length; b++) {
    if (owner[b] !== -1) continue;
    if (bom && b < 3) continue;
    if (!FORMATTING.has(bytes[b] as number)) {
      out.push(`byte ${b} (0x${(bytes[b] as number).toString(16)}) is in no record or problem and is not formatting`);
      break;
    }
  }
  return out;
}

/** Records are exactly what their bytes say; problems are of the kind their bytes show. */
export function checkSpans(bytes: Buffer, parsed: Parsed): string[] {
  const out: string[] = [];
  for (const r of parsed.records) {
    const slice = bytes.subarray(r.offset, r.offset + r.length);
    if (!isUtf8(slice)) out.push(`record at ${r.offset} is not valid UTF-8`);
    let value: unknown;
    try {
      value = JSON.parse(slice.toString('utf8'));
    } catch {
      out.push(`record at ${r.offset} does not parse on its own`);
      continue;
    }
    if (!isDeepStrictEqual(value, r.value)) out.push(`record at ${r.offset}: value differs from its bytes`);
  }
  for (const r of parsed.oversized) {
    if (!isJsonText(bytes, r.offset, r.offset + r.length)) out.push(`oversized record at ${r.offset} is not valid JSON`);
  }
  for (const p of parsed.problems) {
    const slice = bytes.subarray(p.offset, p.offset + p.length);
    if (p.kind === 'nul-bytes' && slice.some((c) => c !== 0)) out.push(`nul-bytes problem at ${p.offset} holds other bytes`);
    if (p.kind === 'invalid-utf8' && isUtf8(slice)) out.push(`invalid-utf8 problem at ${p.offset} is valid UTF-8`);
    if (p.kind === 'torn-tail' && (p.offset + p.length !== bytes.length && bytes.indexOf(0x0a, p.offset + p.length) >= 0)) {
      out.push(`torn-tail problem at ${p.offset} is not at the end of the file`);
    }
    if (typeof p.message !== 'string' || p.message.length === 0 || /[\r\n]/.test(p.message)) out.push(`problem at ${p.offset}: message must be one non-empty line`);
  }
  return out;
}

/**
 * Lines of `bytes`: line feeds, and a last line without one. In UTF-16/32 a line feed is a code
 * unit (a 0A byte inside another character is not one); a trailing partial unit is content.
 */
function countLines(bytes: Buffer, encoding?: string): number {
  const unit = encoding?.startsWith('UTF-32') ? 4 : encoding ? 2 : 1;
  const le = encoding?.endsWith('LE') ?? true;
  let lines = 0;
  let lastEnd = 0;
  for (let i = 0; i + unit <= bytes.length; i += unit) {
    let v = 0;
    for (let k = 0; k < unit; k++) v = v * 256 + (bytes[le ? i + unit - 1 - k : i + k] as number);
    if (v === 0x0a) {
      lines++;
      lastEnd = i + unit;
    }
  }
  return lines + (bytes.length > lastEnd ? 1 : 0);
}

/** The statistics agree with what was reported. */
export function checkStats(bytes: Buffer, parsed: Parsed): string[] {
  const out: string[] = [];
  const s = parsed.stats;
  if (s.bytes !== bytes.length) out.push(`stats.bytes ${s.bytes} != ${bytes.length}`);
  if (s.records !== parsed.records.length + parsed.oversized.length) out.push(`stats.records ${s.records} != ${parsed.records.length} + ${parsed.oversized.length} oversized`);
  if (s.oversized !== parsed.oversized.length) out.push(`stats.oversized ${s.oversized} != ${parsed.oversized.length}`);
  if (s.recovered !== parsed.records.filter((r) => r.recovered).length) out.push('stats.recovered disagrees');
  if (s.problemCount !== parsed.problems.length) out.push(`stats.problemCount ${s.problemCount} != ${parsed.problems.length}`);
  const lines = countLines(bytes, parsed.problems.find((p) => p.kind === 'not-utf8')?.encoding);
  if (s.lines !== lines) out.push(`stats.lines ${s.lines} != ${lines}`);
  if (s.corrupted > s.lines - s.blank) out.push('more corrupted lines than non-blank lines');
  if (!(s.corruptionRatio >= 0 && s.corruptionRatio <= 1)) out.push(`corruptionRatio ${s.corruptionRatio} out of [0, 1]`);
  if (s.warn !== s.corruptionRatio > 0.1) out.push('warn disagrees with the ratio');
  for (let i = 1; i < parsed.records.length; i++) {
    const a = parsed.records[i - 1];
    const b = parsed.records[i];
    if (a && b && !(b.offset > a.offset && b.line >= a.line)) out.push(`records out of order at ${i}`);
  }
  return out;
}

/** What a different chunking of the same bytes changed (must be nothing). */
export function diffParsed(a: Parsed, b: Parsed, what = 'chunk boundaries'): string[] {
  const strip = (p: Parsed): unknown => ({ records: p.records, oversized: p.oversized, problems: p.problems, stats: p.stats });
  return isDeepStrictEqual(strip(a), strip(b)) ? [] : [`${what} changed the result`];
}

/** The same result with every record's value left out (what `values: false` gives). */
export function withoutValues(p: Parsed): Parsed {
  return { ...p, records: p.records.map((r) => ({ ...r, value: undefined })) };
}

/**
 * What the parallel scan does, on one thread: split `bytes` after the first '\n' at or past each
 * cut (fractions of the length), parse each range on its own (values: false, its lines counted
 * from 1), and merge in order with the scan's own mergeRanges; record lines are shifted the same
 * way. Returns null for a file whose start is UTF-16/32 (the scan reads those on one thread).
 */
export function parseInRanges(bytes: Buffer, cuts: readonly number[], chunkSizes: readonly number[], maxLineBytes: number): Parsed | null {
  if (detectEncoding(bytes.subarray(0, 128), Math.min(128, bytes.length)) !== null) return null;
  const bounds = [0];
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    const nl = bytes.indexOf(0x0a, Math.max(Math.floor(cut * bytes.length), bounds[bounds.length - 1] as number));
    if (nl >= 0 && nl + 1 < bytes.length && nl + 1 > (bounds[bounds.length - 1] as number)) bounds.push(nl + 1);
  }
  bounds.push(bytes.length);
  const records: Parsed['records'] = [];
  const oversized: Parsed['oversized'] = [];
  const parts: RangeResult[] = [];
  let lineBase = 0;
  for (let k = 0; k + 1 < bounds.length; k++) {
    const start = bounds[k] as number;
    const problems: JsonlProblem[] = [];
    const base = lineBase;
    const parser = new JsonlParser(
      {
        record: (value, line, offset, length, recovered) => records.push({ value, line: line + base, offset, length, recovered }),
        problem: (p) => problems.push(p),
        oversizedRecord: (line, offset, length) => oversized.push({ line: line + base, offset, length }),
      },
      { maxLineBytes, values: false, startOffset: start, utf8Known: true },
    );
    const range = bytes.subarray(start, bounds[k + 1]);
    let i = 0;
    for (let at = 0; at < range.length; i++) {
      const size = Math.max(1, chunkSizes[i % chunkSizes.length] ?? range.length);
      parser.push(Buffer.from(range.subarray(at, at + size)));
      at += size;
    }
    const stats = parser.end();
    parts.push({ stats, problems });
    lineBase += stats.lines;
  }
  const { problems, ...stats } = mergeRanges(parts, Infinity);
  return { records, oversized, problems, stats };
}

/**
 * A clean file reads back as exactly the values written, with no damage problems; a BOM or blank
 * lines (which the generator adds) are the only format problems allowed.
 */
export function checkOracle(values: unknown[], parsed: Parsed): string[] {
  const out: string[] = [];
  const unexpected = parsed.problems.filter((p) => p.kind !== 'utf8-bom' && p.kind !== 'blank-line');
  if (unexpected.length > 0) out.push(`clean file reported problems: ${unexpected.map((p) => p.kind).join(', ')}`);
  const got = parsed.records.map((r) => r.value);
  if (!isDeepStrictEqual(got, values)) out.push(`clean file read back as ${got.length} values, wrote ${values.length}`);
  if (parsed.records.some((r) => r.recovered)) out.push('clean records marked recovered');
  return out;
}

const WS = new Set([0x20, 0x09, 0x0d, 0x0a]);

/** Counts of each non-whitespace byte value. */
function histogram(buf: Buffer, skipBom: boolean): number[] {
  const h = new Array<number>(256).fill(0);
  const from = skipBom && buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  for (let i = from; i < buf.length; i++) {
    const c = buf[i] as number;
    if (!WS.has(c)) h[c] = (h[c] as number) + 1;
  }
  return h;
}

/**
 * Repair is lossless, exactly: the repaired file is every record span followed by '\n' (or the
 * untouched original when nothing needed changing), the quarantine is every problem span followed
 * by '\n', and what is in neither is formatting. Checked twice: against the parser's spans, and
 * by byte histograms that do not depend on the parser at all.
 */
export function checkRepair(
  original: Buffer,
  parsed: Parsed,
  repaired: Buffer,
  quarantine: Buffer,
  result: { kept: number; quarantined: number; quarantinedBytes: number; changed: boolean },
): string[] {
  const out: string[] = [];
  const problems = damage(parsed);
  const records = recordSpans(parsed);
  const expectFile = Buffer.concat(records.flatMap((r) => [original.subarray(r.offset, r.offset + r.length), Buffer.from('\n')]));
  const expectQ = Buffer.concat(problems.flatMap((p) => [original.subarray(p.offset, p.offset + p.length), Buffer.from('\n')]));
  // Strict JSON Lines (no problem at all: what check passes) is never rewritten.
  const strict = parsed.problems.length === 0;
  if (result.changed) {
    if (strict) out.push('repair rewrote a strict file');
    if (!repaired.equals(expectFile)) out.push('repaired file is not exactly the record spans, one per line');
  } else {
    if (!repaired.equals(original)) out.push('repair said unchanged but the bytes differ');
    if (!strict && !original.equals(expectFile)) out.push('repair left a file unchanged that is neither strict nor canonical');
  }
  if (!quarantine.equals(expectQ)) out.push(`quarantine (${quarantine.length} bytes) is not exactly the problem spans (${expectQ.length} bytes)`);
  if (result.kept !== records.length) out.push(`kept ${result.kept}, parser saw ${records.length} records`);
  if (result.quarantined !== problems.length) out.push(`quarantined ${result.quarantined}, parser saw ${problems.length} damage problems`);
  const qBytes = problems.reduce((s, p) => s + p.length, 0);
  if (result.quarantinedBytes !== qBytes) out.push(`quarantinedBytes ${result.quarantinedBytes} != ${qBytes}`);
  // Nearly independent of the parser: every non-whitespace byte of the original (a dropped BOM
  // aside) is in the repaired file or in the quarantine, and nothing else is.
  // A BOM at offset 0 is dropped as formatting unless a span (a too-long first line) holds it.
  const bomInSpan = [...records, ...problems].some((x) => x.offset === 0);
  const ho = histogram(original, !bomInSpan);
  const hf = histogram(repaired, false);
  const hq = histogram(quarantine, false);
  for (let v = 0; v < 256; v++) {
    if (ho[v] !== (hf[v] as number) + (hq[v] as number)) {
      out.push(`byte 0x${v.toString(16)}: ${ho[v]} in the original, ${hf[v]} kept + ${hq[v]} quarantined`);
      break;
    }
  }
  return out;
}
