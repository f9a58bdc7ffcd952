// `session-keeper mcp [--dir DIR] [--interval MS]`. Bundled separately (dist/mcp.js) and loaded
// by the CLI only for this command, so the MCP SDK costs nothing to the other commands.
import { LIMITS } from '../core/session-record';
import { intOption, parseCommand } from '../cli/args';
import { UsageError, type CommandContext } from '../cli/context';
import { packageVersion } from '../cli/version';
import { agentPid } from './agent-session';
import { runMcpServer } from './server';
import { openStore } from '../cli/commands/store';

// startSession's exit fallback loads SessionStore from the module file it is bundled into.
export { SessionStore } from '../core/session-store';

export async function mcpCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const { values, positionals } = parseCommand('mcp', args, { interval: { type: 'string' } });
  if (positionals.length > 0) throw new UsageError(`mcp: unexpected argument ${JSON.stringify(positionals[0])}`, 'mcp');
  const interval = intOption('mcp', values, 'interval', LIMITS.minHeartbeatIntervalMs, LIMITS.maxHeartbeatIntervalMs);
  // stdout is the JSON-RPC channel: anything a dependency logs goes to stderr instead.
  console.log = console.info = console.debug = (...items: unknown[]) => ctx.stderr(`${items.map(String).join(' ')}\n`);
  // Kept open through registry outages: the server lives as long as the agent.
  const registry = await openStore(ctx, {}, { persistent: true });
  const code = await runMcpServer({
    dir: registry.kind === 'directory' ? registry.location : ctx.dir,
    registry,
    cwd: ctx.cwd,
    parentPid: agentPid(),
    version: packageVersion(),
    log: (line) => ctx.stderr(`session-keeper mcp: ${line}\n`),
    ...(interval !== undefined ? { heartbeatIntervalMs: interval } : {}),
  });
  // The client is gone; nothing else is to be done (an open stdin handle must not keep us).
  process.exit(code);
}
