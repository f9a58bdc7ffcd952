// What the status bar entry says, to the eye and to a screen reader, and when it asks for
// attention. Pure (no vscode import): unit-tested under Node; status-bar.ts only shows it.
import type { DirSnapshot, ModelSnapshot } from './sessions-model';
import * as l10n from './l10n';
import { escapeMarkdown } from './text-safety';

export interface SessionCounts {
  active: number;
  unresponsive: number;
  stale: number;
  closed: number;
}

/** The live sessions of the main folder by state (archived ones are not in the live listing). */
export function countSessions(snapshot: ModelSnapshot): SessionCounts {
  const counts: SessionCounts = { active: 0, unresponsive: 0, stale: 0, closed: 0 };
  for (const s of snapshot.main.sessions) if (s.state in counts) counts[s.state]++;
  return counts;
}

export interface StatusBarView {
  /** With the codicon, e.g. "$(pulse) 4 sessions · 1 stale". */
  text: string;
  /** What a screen reader says, e.g. "Session Keeper: 4 sessions, 1 of them stale". */
  ariaLabel: string;
  /** Markdown for the hover; every path and message escaped. */
  tooltip: string;
  /**
   * The warning colour, only for what needs the person to act: stale sessions (a process
   * died and left its record: Archive All Stale) and an unreadable folder (fix the setting).
   * Unresponsive sessions may recover on their own and closed ones are done: no colour.
   */
  warning: boolean;
}

/**
 * What the status bar says (short text, screen-reader sentence) when the registry cannot be
 * used, by the kind of the problem: a Redis registry is never called a "folder".
 */
function unusableText(main: DirSnapshot): [string, string] {
  switch (main.problem) {
    case 'unreachable':
      return [l10n.t('registry unreachable'), l10n.t("Session Keeper: the registry's server cannot be reached")];
    case 'credentials':
      return [l10n.t('registry login refused'), l10n.t('Session Keeper: the registry refused the credentials')];
    case 'tls':
      return [l10n.t('registry TLS failed'), l10n.t('Session Keeper: the TLS connection to the registry failed')];
    case 'configuration':
      return [l10n.t('registry setting invalid'), l10n.t('Session Keeper: the registry setting or configuration file is not valid')];
    case 'unsafe':
      return [l10n.t('folder unsafe'), l10n.t('Session Keeper: the sessions folder cannot be used safely')];
    default:
      // A location with a scheme (redis://) is a server; anything else a folder.
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(main.dir)) return [l10n.t('registry unusable'), l10n.t('Session Keeper: the registry cannot be used')];
      return [l10n.t('folder unreadable'), l10n.t('Session Keeper: the sessions folder cannot be read')];
  }
}

/**
 * The status bar entry for a listing: the sessions that are running or should be (active,
 * unresponsive, stale), and the stale ones among them when there are any.
 */
export function statusBarView(snapshot: ModelSnapshot): StatusBarView {
  const { main } = snapshot;
  if (main.error !== null) {
    const [short, sentence] = unusableText(main);
    return {
      text: `$(pulse) ${short}`,
      ariaLabel: sentence,
      tooltip: `**Session Keeper**\n\n${l10n.t('Cannot read {0}: {1}', escapeMarkdown(main.dir, 300), escapeMarkdown(main.error, 300))}\n\n${l10n.t('Click to show the sessions.')}`,
      warning: true,
    };
  }
  const c = countSessions(snapshot);
  const live = c.active + c.unresponsive + c.stale;
  const running = live === 1 ? l10n.t('{0} session', live) : l10n.t('{0} sessions', live);
  const text = c.stale > 0 ? l10n.t('{0} · {1} stale', running, c.stale) : running;
  const detail = [
    l10n.t('{0} active', c.active),
    l10n.t('{0} unresponsive', c.unresponsive),
    l10n.t('{0} stale', c.stale),
    l10n.t('{0} closed', c.closed),
  ].join(' · ');
  return {
    text: `$(pulse) ${text}`,
    ariaLabel: c.stale > 0 ? l10n.t('Session Keeper: {0}, {1} of them stale', running, c.stale) : l10n.t('Session Keeper: {0}', running),
    tooltip: `**Session Keeper**\n\n${detail}\n\n${l10n.t('Folder: {0}', escapeMarkdown(main.dir, 300))}\n\n${l10n.t('Click to show the sessions.')}`,
    warning: c.stale > 0,
  };
}
