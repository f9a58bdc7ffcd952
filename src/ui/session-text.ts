// What a person reads about one session, in one place: the tree row's label and description, its
// tooltip's Markdown, the names of the states. The tree, the quick picks, the stale notification
// and the status bar all take their words from here. Pure (no vscode import) so the rules are
// unit-tested under Node. To change what a row shows, change describeSession().
import * as os from 'node:os';
import type { SessionInfo, SessionState } from '../core/session-store';
import { thresholdsOf } from '../core/liveness';
import { livenessSentence } from '../core/liveness-text';
import { wordedDuration } from '../core/words';
import { ageOf, formatAge, localTime } from './relative-time';
import * as l10n from './l10n';
import { escapeMarkdown, sanitizeText } from './text-safety';

export interface SessionText {
  label: string;
  description: string;
  /** Markdown source; every piece of text from the file is sanitized and escaped. */
  tooltip: string;
}

/** The name of each state, as a group title ("Active") and in a tooltip ("State: Active"); "Unknown" for a state this version does not know. */
export function stateTitle(state: SessionState): string {
  switch (state) {
    case 'active':
      return l10n.t('Active');
    case 'unresponsive':
      return l10n.t('Unresponsive');
    case 'stale':
      return l10n.t('Stale');
    case 'closed':
      return l10n.t('Closed');
    default:
      return l10n.t('Unknown');
  }
}

export interface DescribeOptions {
  /** This window's own session. */
  self: boolean;
  /**
   * When the listing was taken (ms since the epoch); used for a session whose judging moment
   * cannot be told from its record (see judgedAt). Defaults to now.
   */
  now?: number;
  /** On this window's row: how many running sessions share a workspace folder with it. */
  neighbours?: number;
  /** On another row: whether that session shares a workspace folder with this window. */
  sharesFolder?: boolean;
  /** This machine's host name: a row leaves its host out when it is this one. Defaults to os.hostname(). */
  localHost?: string;
}

/** Why the session is in its state, in the display language (from the core's reason code when it has one). */
export function sessionReason(info: SessionInfo): string {
  return info.why ? livenessSentence(info.why, l10n) : info.reason;
}

export function sessionLabel(info: SessionInfo): string {
  return sanitizeText(info.record.label, 80) || l10n.t('(no label)');
}

/**
 * The moment (ms since the epoch) the store judged this session: its heartbeat time plus the age
 * it measured. Every age in a row and its tooltip is taken from this one "now", so the tooltip
 * never says "heartbeat 1 s ago" beside "(10 s ago)". Falls back to `fallback` (the listing time)
 * when the record's heartbeat is no date or lies in the future of it.
 */
export function judgedAt(info: SessionInfo, fallback: number): number {
  const beat = Date.parse(info.record.heartbeatAt);
  const age = info.heartbeatAgeMs;
  if (!Number.isFinite(beat) || !Number.isFinite(age) || age < 0) return fallback;
  // Age 0 with a heartbeat after the listing: a clock ahead of ours (the store clamps that to 0).
  return age > 0 || beat <= fallback ? beat + age : fallback;
}

/**
 * A session's row and tooltip. The description starts with the age, because a narrow side bar
 * cuts the end off: "10 s ago · pid 4242 · build-01 · “reviewing PR 12” · in this folder". The
 * host is left out when it is this machine; "this window" follows the age on our own row.
 */
export function describeSession(info: SessionInfo, opts: DescribeOptions): SessionText {
  const now = judgedAt(info, opts.now ?? Date.now());
  const r = info.record;
  const parts: string[] = [];
  const closedAge = ageOf(r.closedAt, now);
  if (info.state === 'closed' && closedAge !== null) parts.push(l10n.t('closed {0}', formatAge(closedAge)));
  else parts.push(formatAge(shownHeartbeatAge(info)));
  if (opts.self) parts.push(l10n.t('this window'));
  parts.push(l10n.t('pid {0}', Number.isSafeInteger(r.pid) ? r.pid : '?'));
  const host = sanitizeText(r.hostname, 40);
  if (host !== (opts.localHost ?? os.hostname())) parts.push(host || '?');
  // The owner's status line: text another process wrote, so sanitized, short and quoted.
  const status = sanitizeText(r.status, 60);
  if (status && !info.archivedOn && info.state !== 'closed') parts.push(l10n.t('“{0}”', status));
  const neighbours = opts.neighbours ?? 0;
  if (opts.self && neighbours > 0) parts.push(neighbours === 1 ? l10n.t('1 other in this folder') : l10n.t('{0} others in this folder', neighbours));
  if (!opts.self && opts.sharesFolder) parts.push(l10n.t('in this folder'));
  return {
    label: sessionLabel(info),
    description: parts.join(' · '),
    // Built when read: rows need only the label and description on every refresh (100 sessions
    // every few seconds), the tooltip only when one is hovered.
    get tooltip() {
      return sessionTooltip(info, opts.self, now);
    },
  };
}

/** The most a heartbeat may lag its interval and still count as on time in a row (ms); see shownHeartbeatAge. */
export const HEARTBEAT_SLACK_MAX_MS = 10_000;

/**
 * The heartbeat age a row shows (ms): the measured one, except that a heartbeat that is due but
 * not written yet (its timer fired a moment ago, its write waits for the lock) is not late: an
 * age from the session's own interval up to half an interval past it (at most
 * HEARTBEAT_SLACK_MAX_MS) shows as just under the interval. Without this, a session
 * heartbeating every 10 s read "just now" or "10 s ago" depending on whether a listing came a
 * few ms before or after a beat, and a tree polled every 5 s changed (re-rendered, closing any
 * open hover) at every poll. The tooltip keeps the exact time.
 */
export function shownHeartbeatAge(info: SessionInfo): number {
  const age = info.heartbeatAgeMs;
  const interval = info.record.heartbeatIntervalMs;
  if (!Number.isFinite(age) || !Number.isFinite(interval) || interval <= 0) return age;
  const slack = Math.min(interval / 2, HEARTBEAT_SLACK_MAX_MS);
  return age >= interval && age < interval + slack ? interval - 1 : age;
}

/** "3 min ago", "5 s from now" (a clock ahead of ours): the same words as the liveness reasons. */
function ago(ms: number): string {
  return ms < 0 ? l10n.t('{0} from now', wordedDuration(-ms, l10n)) : l10n.t('{0} ago', wordedDuration(ms, l10n));
}

function when(iso: string | null, now: number): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return escapeMarkdown(iso, 40);
  return `${escapeMarkdown(localTime(t))} (${escapeMarkdown(ago(now - t))})`;
}

function duration(ms: number): string {
  return Number.isFinite(ms) ? escapeMarkdown(wordedDuration(ms, l10n)) : '—';
}

function sessionTooltip(info: SessionInfo, self: boolean, now: number): string {
  const r = info.record;
  const state = info.archivedOn ? l10n.t('Archived on {0} (UTC)', escapeMarkdown(info.archivedOn, 20)) : stateTitle(info.state);
  const folders = Array.isArray(r.workspaceFolders) ? r.workspaceFolders : [];
  const rows: [string, string][] = [
    [l10n.t('State'), info.reason ? l10n.t('{0} — {1}', state, escapeMarkdown(sessionReason(info))) : state],
    // The one "now" every age below is measured from: when the store judged the session.
    [l10n.t('Checked'), escapeMarkdown(localTime(now))],
    [l10n.t('Id'), escapeMarkdown(r.id, 80)],
    [l10n.t('Status'), escapeMarkdown(r.status, 200) || '—'],
    [l10n.t('Tool'), escapeMarkdown(r.tool, 40) || '—'],
    [l10n.t('Host'), escapeMarkdown(r.hostname, 80) || '—'],
    [l10n.t('User'), escapeMarkdown(r.user, 80) || '—'],
    [l10n.t('PID'), Number.isSafeInteger(r.pid) ? String(r.pid) : '?'],
    [l10n.t('Process started'), when(r.processStartedAt, now)],
    [l10n.t('Created'), when(r.createdAt, now)],
    [l10n.t('Last heartbeat'), when(r.heartbeatAt, now)],
    [l10n.t('Heartbeat interval'), duration(r.heartbeatIntervalMs)],
    // The thresholds that judged it: the record's own, the same for every reader.
    [l10n.t('Unresponsive after'), duration(thresholdsOf(r).unresponsiveAfterMs)],
    [l10n.t('Stale after'), duration(thresholdsOf(r).expireAfterMs)],
    [l10n.t('Closed'), when(r.closedAt, now)],
  ];
  const title = escapeMarkdown(r.label, 120) || l10n.t('(no label)');
  const lines = [self ? l10n.t('**{0}** — this window', title) : `**${title}**`, ''];
  for (const [name, value] of rows) lines.push(`${l10n.t('{0}: {1}', name, value)}  `);
  if (folders.length === 0) lines.push(`${l10n.t('Workspace folders: —')}  `);
  else {
    lines.push(`${l10n.t('Workspace folders:')}  `);
    // A long list would make the tooltip unreadable; the file has them all.
    for (const folder of folders.slice(0, 10)) lines.push(`\u00a0\u00a0${escapeMarkdown(folder, 160)}  `);
    if (folders.length > 10) lines.push(`\u00a0\u00a0${l10n.t('… and {0} more', folders.length - 10)}  `);
  }
  lines.push(`${l10n.t('Session file: {0}', escapeMarkdown(info.file, 300))}  `);
  lines.push(l10n.t('Journal: {0}', escapeMarkdown(info.journal, 300)));
  return lines.join('\n');
}
