import * as vscode from 'vscode';

/** globalState keys; they survive restarts and apply in every window of this profile. */
const MUTED_ALL = 'sessionKeeper.corruptionWarning.mutedAll';
const MUTED_FILES = 'sessionKeeper.corruptionWarning.mutedFiles';
/** Files remembered at most (the oldest are forgotten first), so the state stays small. */
const MAX_FILES = 500;

/**
 * "Don't show again" for the corruption warning, per file (by URI) and for all files, kept in the
 * extension's globalState. The Problems panel keeps listing the problems either way: only the
 * pop-up is muted. `reset()` (the "Reset Warnings" command) brings both back.
 */
export class WarningMutes {
  constructor(private readonly state: vscode.Memento) {}

  isMuted(uri: vscode.Uri): boolean {
    return this.state.get<boolean>(MUTED_ALL, false) || this.files().includes(uri.toString());
  }

  async muteFile(uri: vscode.Uri): Promise<void> {
    const key = uri.toString();
    const files = this.files().filter((f) => f !== key);
    files.push(key);
    await this.state.update(MUTED_FILES, files.slice(-MAX_FILES));
  }

  async muteAll(): Promise<void> {
    await this.state.update(MUTED_ALL, true);
  }

  /** Unmutes everything; returns how many mutes there were (files, plus 1 for "all"). */
  async reset(): Promise<number> {
    const count = this.files().length + (this.state.get<boolean>(MUTED_ALL, false) ? 1 : 0);
    await this.state.update(MUTED_ALL, undefined);
    await this.state.update(MUTED_FILES, undefined);
    return count;
  }

  private files(): string[] {
    const files = this.state.get<unknown>(MUTED_FILES, []);
    return Array.isArray(files) ? files.filter((f): f is string => typeof f === 'string') : [];
  }
}
