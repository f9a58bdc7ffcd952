// How sessions look on stdout: a stable flat JSON object per session, and a table for people.
import { formatDuration, thresholdsOf } from '../core/liveness';
import { oneLine } from '../core/one-line';
import type { SessionInfo } from '../core/session-store';

/** The JSON shape of `list --json` elements. Add fields freely; never rename or remove one. */
export interface SessionJson {
  id: string;
  state: string;
  reason: string;
  pid: number;
  hostname: string;
  user: string;
  label: string;
  /** The owner's status line; empty when it set none. */
  status: string;
  tool: string;
  workspaceFolders: string[];
  createdAt: string;
  heartbeatAt: string;
  heartbeatAgeMs: number;
  heartbeatIntervalMs: number;
  closedAt: string | null;
  processStartedAt: string | null;
  /** The thresholds that judged this session (the record's own, or their defaults), ms. */
  unresponsiveAfterMs: number;
  expireAfterMs: number;
  /** The record's PID space and start ticks; null when it has none. */
  bootId: string | null;
  pidNamespace: string | null;
  processStartTicks: number | null;
  archivedOn: string | null;
  file: string;
  journal: string;
}

export function sessionJson(info: SessionInfo): SessionJson {
  const r = info.record;
  return {
    id: r.id,
    state: info.state,
    reason: info.reason,
    pid: r.pid,
    hostname: r.hostname,
    user: r.user,
    label: r.label,
    status: typeof r.status === 'string' ? r.status : '',
    tool: r.tool,
    workspaceFolders: r.workspaceFolders,
    createdAt: r.createdAt,
    heartbeatAt: r.heartbeatAt,
    heartbeatAgeMs: info.heartbeatAgeMs,
    heartbeatIntervalMs: r.heartbeatIntervalMs,
    closedAt: r.closedAt,
    processStartedAt: r.processStartedAt,
    ...thresholdsOf(r),
    bootId: r.bootId ?? null,
    pidNamespace: r.pidNamespace ?? null,
    processStartTicks: r.processStartTicks ?? null,
    archivedOn: info.archivedOn,
    file: info.file,
    journal: info.journal,
  };
}

/** Left-aligned columns separated by two spaces; cells are made printable and cut. */
export function table(header: string[], rows: string[][], maxWidths: number[] = []): string {
  const cells = [header, ...rows].map((row) => row.map((c, i) => cut(oneLine(c, 1000), maxWidths[i] ?? 60)));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n') + '\n';
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const TABLE_HEADER = ['ID', 'STATE', 'PID', 'HOST', 'HEARTBEAT', 'LABEL'];
const TABLE_WIDTHS = [36, 12, 10, 30, 12, 60];

function tableColumns(withArchive: boolean): { header: string[]; widths: number[] } {
  const header = [...TABLE_HEADER];
  const widths = [...TABLE_WIDTHS];
  if (withArchive) {
    header.splice(5, 0, 'ARCHIVED');
    widths.splice(5, 0, 10);
  }
  return { header, widths };
}

function tableRows(sessions: SessionInfo[], withArchive: boolean): string[][] {
  return sessions.map((s) => {
    const row = [s.record.id, s.state, String(s.record.pid), s.record.hostname, `${formatDuration(s.heartbeatAgeMs)} ago`, s.record.label];
    if (withArchive) row.splice(5, 0, s.archivedOn ?? '-');
    return row;
  });
}

export function sessionsTable(sessions: SessionInfo[], withArchive: boolean): string {
  const { header, widths } = tableColumns(withArchive);
  return table(header, tableRows(sessions, withArchive), widths);
}

/**
 * Table rows (and the header when `withHeader`) padded to the columns' fixed widths, so a long
 * listing can be written a chunk at a time and still line up.
 */
export function sessionsTableRows(sessions: SessionInfo[], withArchive: boolean, withHeader: boolean): string {
  const { header, widths } = tableColumns(withArchive);
  const rows = tableRows(sessions, withArchive);
  if (withHeader) rows.unshift(header);
  return rows
    .map((row) => row.map((c, i) => (i === row.length - 1 ? cut(oneLine(c, 1000), widths[i] ?? 60) : cut(oneLine(c, 1000), widths[i] ?? 60).padEnd(widths[i] ?? 0))).join('  ').trimEnd())
    .join('\n') + '\n';
}
