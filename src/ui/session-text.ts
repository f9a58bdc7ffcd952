// What a person reads about one session, in one place: the tree row's label and description, its
// tooltip's Markdown, the names of the states. The tree, the quick picks, the stale notification
// and the status bar all take their words from here. Pure (no vscode import) so the rules are
// unit-tested under Node. To change what a row shows, change describeSession().
import * as os from 'node:os';
import type { SessionInfo, SessionState } from '../core/session-store';
import { formatDuration, thresholdsOf } from '../core/liveness';
import { ageOf, formatAge, localTime } from './relative-time';
import { escapeMarkdown, sanitizeText } from './text-safety';

export interface SessionText {
  label: string;
  description: string;
  /** Markdown source; every piece of text from the file is sanitized and escaped. */
  tooltip: string;
}

/** The name of each state, as a group title ("Active") and in a tooltip ("State: Active"). */
export const STATE_TITLES: Record<SessionState, string> = {
  active: 'Active',
  unresponsive: 'Unresponsive',
  stale: 'Stale',
  closed: 'Closed',
};

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

export function sessionLabel(info: SessionInfo): string {
  return sanitizeText(info.record.label, 80) || '(no label)';
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
  if (info.state === 'closed' && closedAge !== null) parts.push(`closed ${formatAge(closedAge)}`);
  else parts.push(formatAge(info.heartbeatAgeMs));
  if (opts.self) parts.push('this window');
  parts.push(`pid ${Number.isSafeInteger(r.pid) ? r.pid : '?'}`);
  const host = sanitizeText(r.hostname, 40);
  if (host !== (opts.localHost ?? os.hostname())) parts.push(host || '?');
  // The owner's status line: text another process wrote, so sanitized, short and quoted.
  const status = sanitizeText(r.status, 60);
  if (status && !info.archivedOn && info.state !== 'closed') parts.push(`“${status}”`);
  const neighbours = opts.neighbours ?? 0;
  if (opts.self && neighbours > 0) parts.push(`${neighbours} other${neighbours === 1 ? '' : 's'} in this folder`);
  if (!opts.self && opts.sharesFolder) parts.push('in this folder');
  return { label: sessionLabel(info), description: parts.join(' · '), tooltip: sessionTooltip(info, opts.self, now) };
}

/** "3 min ago", "5 s from now" (a clock ahead of ours): the same words as the liveness reasons. */
function ago(ms: number): string {
  return ms < 0 ? `${formatDuration(-ms)} from now` : `${formatDuration(ms)} ago`;
}

function when(iso: string | null, now: number): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return escapeMarkdown(iso, 40);
  return `${escapeMarkdown(localTime(t))} (${escapeMarkdown(ago(now - t))})`;
}

function duration(ms: number): string {
  return Number.isFinite(ms) ? escapeMarkdown(formatDuration(ms)) : '—';
}

function sessionTooltip(info: SessionInfo, self: boolean, now: number): string {
  const r = info.record;
  const state = info.archivedOn ? `Archived on ${escapeMarkdown(info.archivedOn, 20)} (UTC)` : STATE_TITLES[info.state] ?? 'Unknown';
  const folders = Array.isArray(r.workspaceFolders) ? r.workspaceFolders : [];
  const rows: [string, string][] = [
    ['State', `${state}${info.reason ? ` — ${escapeMarkdown(info.reason)}` : ''}`],
    // The one "now" every age below is measured from: when the store judged the session.
    ['Checked', escapeMarkdown(localTime(now))],
    ['Id', escapeMarkdown(r.id, 80)],
    ['Status', escapeMarkdown(r.status, 200) || '—'],
    ['Tool', escapeMarkdown(r.tool, 40) || '—'],
    ['Host', escapeMarkdown(r.hostname, 80) || '—'],
    ['User', escapeMarkdown(r.user, 80) || '—'],
    ['PID', Number.isSafeInteger(r.pid) ? String(r.pid) : '?'],
    ['Process started', when(r.processStartedAt, now)],
    ['Created', when(r.createdAt, now)],
    ['Last heartbeat', when(r.heartbeatAt, now)],
    ['Heartbeat interval', duration(r.heartbeatIntervalMs)],
    // The thresholds that judged it: the record's own, the same for every reader.
    ['Unresponsive after', duration(thresholdsOf(r).unresponsiveAfterMs)],
    ['Stale after', duration(thresholdsOf(r).expireAfterMs)],
    ['Closed', when(r.closedAt, now)],
  ];
  const lines = [`**${escapeMarkdown(r.label, 120) || '(no label)'}**${self ? ' — this window' : ''}`, ''];
  for (const [name, value] of rows) lines.push(`${name}: ${value}  `);
  if (folders.length === 0) lines.push('Workspace folders: —  ');
  else {
    lines.push('Workspace folders:  ');
    // A long list would make the tooltip unreadable; the file has them all.
    for (const folder of folders.slice(0, 10)) lines.push(`\u00a0\u00a0${escapeMarkdown(folder, 160)}  `);
    if (folders.length > 10) lines.push(`\u00a0\u00a0… and ${folders.length - 10} more  `);
  }
  lines.push(`Session file: ${escapeMarkdown(info.file, 300)}  `);
  lines.push(`Journal: ${escapeMarkdown(info.journal, 300)}`);
  return lines.join('\n');
}
