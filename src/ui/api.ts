import type { TreeRow } from './session-tree-provider';
import type { SessionNode } from './session-tree-model';

/**
 * What activate() returns: enough for integration tests (and other extensions) to observe the
 * extension without reaching into its internals.
 */
export interface SessionKeeperApi {
  /** How long activate() itself took, in ms (it only wires things; the work starts after). */
  readonly activateMs: number;
  /** Resolves once this window registered (or failed to) and the first listing finished. */
  readonly ready: Promise<void>;
  sessionsDir(): string;
  /** This window's session id; undefined until registered. */
  sessionId(): string | undefined;
  /** Reads the sessions folders again and re-renders the tree and status bar. */
  refresh(): Promise<void>;
  /** The tree as a person would read it, every group expanded. */
  snapshot(): Promise<TreeRow[]>;
  /** A session's tree node, as the tree passes it to a command (tests invoke item commands with it). */
  sessionNode(id: string): SessionNode | undefined;
  /** The status bar entry's text, e.g. "$(pulse) 3 sessions · 1 stale". */
  statusBarText(): string;
}
