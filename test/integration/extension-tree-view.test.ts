// The Sessions view is contributed in its own activity-bar container and opens.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activated, extension, VIEW_CONTAINER_ID, VIEW_ID } from './extension-under-test';

interface ViewContributions {
  viewsContainers?: { activitybar?: { id: string; title: string; icon: string }[] };
  views?: Record<string, { id: string; name: string }[]>;
}

suite('Session Keeper: Sessions view', () => {
  suiteSetup(async () => {
    await activated();
  });

  test('has an activity-bar container "Session Keeper" holding the Sessions view', () => {
    const contributes = (extension().packageJSON as { contributes?: ViewContributions }).contributes;
    const container = contributes?.viewsContainers?.activitybar?.find((c) => c.id === VIEW_CONTAINER_ID);
    assert.equal(container?.title, 'Session Keeper');
    assert.ok(contributes?.views?.[VIEW_CONTAINER_ID]?.some((v) => v.id === VIEW_ID), `${VIEW_ID} is not in ${VIEW_CONTAINER_ID}`);
  });

  test('opens from its container and takes the focus', async () => {
    // Both commands exist only when the workbench registered the container and the view.
    await vscode.commands.executeCommand(`workbench.view.extension.${VIEW_CONTAINER_ID}`);
    await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
  });
});
