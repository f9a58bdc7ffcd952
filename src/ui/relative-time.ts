// Human ages and times for the tree ("12 s ago", "5 min ago", local clock times). No vscode
// import: unit-tested under Node. Words go through l10n.t; durations ("45 s") are the core's
// wordedDuration with the UI's words.
import * as l10n from './l10n';

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
  if (!Number.isFinite(ageMs) || ageMs < 10 * SECOND) return l10n.t('just now');
  if (ageMs < MINUTE) return l10n.t('{0} s ago', Math.floor(ageMs / (10 * SECOND)) * 10);
  if (ageMs < HOUR) return l10n.t('{0} min ago', Math.floor(ageMs / MINUTE));
  if (ageMs < 2 * DAY) return l10n.t('{0} h ago', Math.floor(ageMs / HOUR));
  return l10n.t('{0} days ago', Math.floor(ageMs / DAY));
}

/** The age of an ISO timestamp relative to `now` (ms since the epoch), or null when the text is not a date. */
export function ageOf(iso: string | null | undefined, now = Date.now()): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : now - t;
}

const two = (n: number): string => String(n).padStart(2, '0');

/**
 * `ms` (since the epoch) as "YYYY-MM-DD HH:MM:SS" on this machine's clock and time zone (the
 * record files hold UTC; people read their own time).
 */
export function localTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
