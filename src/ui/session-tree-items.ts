// The VS Code side of the Sessions tree's rows: turns the plain Row of session-tree-model.ts into
// a vscode.TreeItem. Nothing is decided here; what a row shows is decided there.
import * as vscode from 'vscode';
import { rowOf, sessionTooltip, type SessionNode, type SessionRowNode } from './session-tree-model';

const COLLAPSIBLE = {
  none: vscode.TreeItemCollapsibleState.None,
  collapsed: vscode.TreeItemCollapsibleState.Collapsed,
  expanded: vscode.TreeItemCollapsibleState.Expanded,
} as const;

export function toTreeItem(node: SessionNode): vscode.TreeItem {
  const row = rowOf(node);
  const item = new vscode.TreeItem(row.label, COLLAPSIBLE[row.collapsible]);
  item.id = row.id;
  item.description = row.description;
  if (row.tooltip !== undefined) item.tooltip = row.tooltip;
  if (row.icon) item.iconPath = new vscode.ThemeIcon(row.icon.id, row.icon.color ? new vscode.ThemeColor(row.icon.color) : undefined);
  item.contextValue = row.contextValue;
  if (row.accessibilityLabel) item.accessibilityInformation = { label: row.accessibilityLabel };
  if (row.command) item.command = { command: row.command.command, title: row.command.title, arguments: row.command.withNode ? [node] : [] };
  if (row.resourcePath) item.resourceUri = vscode.Uri.file(row.resourcePath);
  return item;
}

/** The Markdown tooltip of a session row, built when hovered. */
export function sessionTooltipMarkdown(node: SessionRowNode): vscode.MarkdownString {
  const tooltip = new vscode.MarkdownString(sessionTooltip(node));
  // The text came from files other processes wrote: no command links, no HTML, no icons.
  tooltip.isTrusted = false;
  tooltip.supportHtml = false;
  tooltip.supportThemeIcons = false;
  return tooltip;
}
