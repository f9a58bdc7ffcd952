// Which sessions work in the same folders: the tree marks them ("2 others in this folder") and
// the MCP server's list_sessions sets sharesWorkspace, so two agents about to edit one
// repository are seen before they collide. One rule for both readers, here.
import * as path from 'node:path';
import type { SessionInfo } from './session-store';

/**
 * Two folders overlap when they are the same or one contains the other (after `path.resolve`;
 * `/src/api` and `/src/apix` do not; a folder named `..x` inside is inside).
 */
export function folderOverlaps(a: string, b: string): boolean {
  const rel = path.relative(path.resolve(a), path.resolve(b));
  const back = path.relative(path.resolve(b), path.resolve(a));
  const within = (r: string): boolean => r === '' || (!r.startsWith(`..${path.sep}`) && r !== '..' && !path.isAbsolute(r));
  return within(rel) || within(back);
}

/** Whether any of `a` overlaps any of `b` (records from disk: non-arrays count as no folders). */
export function sharesFolder(a: unknown, b: unknown): boolean {
  if (!Array.isArray(a) || !Array.isArray(b)) return false;
  return a.some((x) => typeof x === 'string' && b.some((y) => typeof y === 'string' && folderOverlaps(x, y)));
}

export interface FolderNeighbours {
  /** Ids of running sessions (active or unresponsive, not archived) sharing a folder with `self`. */
  ids: Set<string>;
}

/** The running sessions other than `selfId` that share a workspace folder with it. */
export function folderNeighbours(sessions: SessionInfo[], selfId: string | undefined): FolderNeighbours {
  const self = selfId === undefined ? undefined : sessions.find((s) => s.record.id === selfId && !s.archivedOn);
  const ids = new Set<string>();
  if (!self) return { ids };
  for (const s of sessions) {
    if (s.record.id === selfId || s.archivedOn || (s.state !== 'active' && s.state !== 'unresponsive')) continue;
    if (sharesFolder(s.record.workspaceFolders, self.record.workspaceFolders)) ids.add(s.record.id);
  }
  return { ids };
}
