// What the integration tests know about the extension: its id and its package.json. Only
// `sessionKeeper.*` command ids, the view `sessionKeeper.sessions` and the container title
// "Session Keeper" are assumed.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'session-keeper.session-keeper';
export const VIEW_CONTAINER_ID = 'sessionKeeper';
export const VIEW_ID = 'sessionKeeper.sessions';

export interface ContributedCommand {
  command: string;
  title: string;
}

export function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this window`);
  return ext;
}

export async function activated(): Promise<vscode.Extension<unknown>> {
  const ext = extension();
  await ext.activate();
  return ext;
}

export function contributedCommands(): ContributedCommand[] {
  const commands = (extension().packageJSON as { contributes?: { commands?: ContributedCommand[] } }).contributes?.commands;
  assert.ok(Array.isArray(commands) && commands.length > 0, 'package.json contributes no commands');
  return commands;
}

/** Polls `check` until it holds; a test that waits for the extension host must not sleep blindly. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
