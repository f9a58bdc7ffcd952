/**
 * "Did you mean …" for a mistyped command or option: the closest known name by edit distance
 * (insertions, deletions, substitutions and swaps of neighbours), when it is close enough to be
 * a typo rather than a different word.
 */

/** Optimal string alignment distance (Damerau–Levenshtein with adjacent swaps), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) => Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) best = Math.min(best, ((d[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = best;
    }
  }
  return (d[s.length] as number[])[t.length] as number;
}

/**
 * The known name closest to `input`, or undefined when none is within a typo's reach: at most 1
 * edit for names up to 4 characters, 2 up to 8, 3 beyond; a name that `input` starts (`arch` →
 * `archive`) counts too when the start is unambiguous. Ties go to the earlier candidate.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  if (input === '') return undefined;
  const prefixed = candidates.filter((c) => c.toLowerCase().startsWith(input.toLowerCase()));
  if (prefixed.length === 1) return prefixed[0];
  const reach = input.length <= 4 ? 1 : input.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    // The distance is at least the difference in length: such a name can never be within reach,
    // and skipping it keeps a pasted 100 KB argument from costing seconds (a table of n × m cells).
    if (Math.abs(input.length - c.length) > reach) continue;
    const distance = editDistance(input, c);
    if (distance < bestDistance) {
      best = c;
      bestDistance = distance;
    }
  }
  return bestDistance <= reach ? best : undefined;
}

/** ' (did you mean X?)' to append to a message, or '' without a close candidate. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const match = closest(input, candidates);
  return match === undefined ? '' : ` (did you mean ${match}?)`;
}
