/** Order statistics and a least-squares slope, for summarising repeated measurements. */

export function median(values: readonly number[]): number | null {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100); null for an empty list. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

/** Percentile over a list too long to copy cheaply: sorts in place. */
export function percentileInPlace(values: Float64Array, p: number): number | null {
  if (values.length === 0) return null;
  values.sort();
  const rank = Math.max(1, Math.ceil((p / 100) * values.length));
  return values[Math.min(rank, values.length) - 1] ?? null;
}

/** Least-squares slope of y over x (units of y per unit of x); null with fewer than 2 points. */
export function slope(points: readonly { x: number; y: number }[]): number | null {
  const n = points.length;
  if (n < 2) return null;
  let sx = 0;
  let sy = 0;
  for (const p of points) {
    sx += p.x;
    sy += p.y;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) * (p.x - mx);
  }
  return den === 0 ? null : num / den;
}

export function round(value: number | null, digits: number): number | null {
  if (value === null || !Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
