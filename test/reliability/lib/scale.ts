// How hard each reliability test pushes. The quick profile is what `npm test` (and CI) runs;
// the full profile is `npm run test:reliability:full`, whose figures go into docs/.
export type Profile = 'quick' | 'full';

export const profile: Profile = process.env.SK_RELIABILITY === 'full' ? 'full' : 'quick';
export const full = profile === 'full';

/** Picks the quick or the full value. */
export function scale<T>(quick: T, fullValue: T): T {
  return full ? fullValue : quick;
}

/** Per-test timeout for node:test, generous so a slow machine never turns into a failure. */
export function budgetMs(quickMs: number, fullMs: number): number {
  return scale(quickMs, fullMs);
}
