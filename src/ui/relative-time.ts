// Human ages for the tree ("12 s ago", "5 min ago"). No vscode import: unit-tested under Node.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * "just now", "20 s ago", "5 min ago", "3 h ago", "2 days ago"; a negative age (clock skew) is
 * "just now". Seconds come in steps of ten: a session heartbeating every few seconds reads
 * "just now" instead of a number that changes (and re-renders its row) on every look.
 */
export function formatAge(ageMs: number): string {
  if (!Number.isFinite(ageMs) || ageMs < 10 * SECOND) return 'just now';
  if (ageMs < MINUTE) return `${Math.floor(ageMs / (10 * SECOND)) * 10} s ago`;
  if (ageMs < HOUR) return `${Math.floor(ageMs / MINUTE)} min ago`;
  if (ageMs < 2 * DAY) return `${Math.floor(ageMs / HOUR)} h ago`;
  return `${Math.floor(ageMs / DAY)} days ago`;
}

/** "2 s", "1.5 min", "3 h": a duration for settings and tooltips. */
export function formatDuration(ms: number): string {
  if (ms < MINUTE) return `${Math.round(ms / SECOND)} s`;
  if (ms < HOUR) return `${Math.round(ms / MINUTE)} min`;
  return `${Math.round(ms / HOUR)} h`;
}

/** The age of an ISO timestamp relative to `now`, or null when the text is not a date. */
export function ageOf(iso: string | null | undefined, now = Date.now()): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : now - t;
}
