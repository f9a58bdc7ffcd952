// Lanes: independent copies of one crash experiment (each in its own directory or file) run side
// by side, so a full run's kills fit in minutes; their figures are added up for the report.

/** The lanes' results, in lane order, and the sum of one figure over all of them. */
export interface Lanes<T> {
  lanes: T[];
  sum: (figure: (lane: T) => number) => number;
}

/** Runs `count` lanes at once (`lane(i)` for i = 0 .. count-1) and waits for all of them. */
export async function runLanes<T>(count: number, lane: (i: number) => Promise<T>): Promise<Lanes<T>> {
  const lanes = await Promise.all(Array.from({ length: count }, (_, i) => lane(i)));
  return { lanes, sum: (figure) => lanes.reduce((s, l) => s + figure(l), 0) };
}
