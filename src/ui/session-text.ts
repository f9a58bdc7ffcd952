// What a person reads about one session: the tree row's label and description and the tooltip's
// Markdown. Pure (no vscode import) so the escaping rules are unit-tested under Node.
import type { SessionInfo } from '../core/session-store';
import { thresholdsOf } from '../core/liveness';
import { formatAge, formatDuration, ageOf } from './relative-time';
import { escapeMarkdown, sanitizeText } from './text-safety';

export interface SessionText {
  label: string;
  description: string;
  /** Markdown source; every piece of text from the file is sanitized and escaped. */
  tooltip: string;
}

const STATE_NAMES: Record<SessionInfo['state'], string> = {
  active: 'Active',
  unresponsive: 'Unresponsive',
  stale: 'Stale',
  closed: 'Closed',
};

export function sessionLabel(info: SessionInfo): string {
  return sanitizeText(info.record.label, 80) || '(no label)';
}

/**
 * `neighbours`: on this window's row, how many running sessions share a workspace folder with it;
 * `sharesFolder`: on another row, whether that session shares one with this window.
 */
export function describeSession(
  info: SessionInfo,
  opts: { self: boolean; now?: number; neighbours?: number; sharesFolder?: boolean },
): SessionText {
  const now = opts.now ?? Date.now();
  const r = info.record;
  const parts: string[] = [];
  if (opts.self) parts.push('this window');
  parts.push(sanitizeText(r.hostname, 40) || '?');
  parts.push(`pid ${Number.isSafeInteger(r.pid) ? r.pid : '?'}`);
  const closedAge = ageOf(r.closedAt, now);
  if (info.state === 'closed' && closedAge !== null) parts.push(`closed ${formatAge(closedAge)}`);
  else parts.push(formatAge(info.heartbeatAgeMs));
  // The owner's status line: text another process wrote, so sanitized, short and quoted.
  const status = sanitizeText(r.status, 60);
  if (status && !info.archivedOn && info.state !== 'closed') parts.push(`“${status}”`);
  const neighbours = opts.neighbours ?? 0;
  if (opts.self && neighbours > 0) parts.push(`${neighbours} other${neighbours === 1 ? '' : 's'} in this folder`);
  if (!opts.self && opts.sharesFolder) parts.push('in this folder');
  return { label: sessionLabel(info), description: parts.join(' · '), tooltip: sessionTooltip(info, opts.self, now) };
}

function when(iso: string | null, now: number): string {
  if (!iso) return '—';
  const age = ageOf(iso, now);
  return `${escapeMarkdown(iso, 40)}${age === null ? '' : ` (${escapeMarkdown(formatAge(age))})`}`;
}

function duration(ms: number): string {
  return Number.isFinite(ms) ? escapeMarkdown(formatDuration(ms)) : '—';
}

function sessionTooltip(info: SessionInfo, self: boolean, now: number): string {
  const r = info.record;
  const state = info.archivedOn ? `Archived on ${escapeMarkdown(info.archivedOn, 20)}` : STATE_NAMES[info.state] ?? 'Unknown';
  const folders = Array.isArray(r.workspaceFolders) ? r.workspaceFolders : [];
  const rows: [string, string][] = [
    ['State', `${state}${info.reason ? ` — ${escapeMarkdown(info.reason)}` : ''}`],
    ['Id', escapeMarkdown(r.id, 80)],
    ['Status', escapeMarkdown(r.status, 200) || '—'],
    ['Tool', escapeMarkdown(r.tool, 40) || '—'],
    ['Host', escapeMarkdown(r.hostname, 80) || '—'],
    ['User', escapeMarkdown(r.user, 80) || '—'],
    ['PID', Number.isSafeInteger(r.pid) ? String(r.pid) : '?'],
    ['Process started', when(r.processStartedAt, now)],
    ['Created', when(r.createdAt, now)],
    ['Last heartbeat', when(r.heartbeatAt, now)],
    ['Heartbeat interval', Number.isFinite(r.heartbeatIntervalMs) ? escapeMarkdown(formatDuration(r.heartbeatIntervalMs)) : '—'],
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
