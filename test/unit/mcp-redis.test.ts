// `session-keeper mcp --registry redis://…` through the MCP SDK's own client: the agent's
// session lives on a real redis-server, its tools see the sessions there, and disconnecting
// closes the session there.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { openRegistry } from '../../src/lib/index';
import { CLI } from '../helpers/processes';
import { haveRedisServer, startRedis, stopAllRedis } from '../helpers/redis-server';

const skip = haveRedisServer() ? false : 'redis-server is not installed (.ci/run installs it)';

describe('session-keeper mcp on Redis', { skip, timeout: 120_000 }, () => {
  after(stopAllRedis);

  test('the agent is a session on Redis; list_sessions and set_session_status work there; disconnecting closes it', async () => {
    const redis = await startRedis();
    const ws = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'sk-mcp-redis-')));
    const other = await openRegistry(redis.url, { cleanupOnCreate: false });
    const elsewhere = await other.create({ label: 'another agent' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'mcp', '--registry', redis.url],
      cwd: os.tmpdir(),
      stderr: 'pipe',
      env: { ...process.env, SESSION_KEEPER_DIR: '', SESSION_KEEPER_CONFIG: path.join(ws, 'no-config.json') } as Record<string, string>,
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: 'redis-agent', version: '0.0.1' }, { capabilities: { roots: { listChanged: true } } });
    client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [{ uri: pathToFileURL(ws).href, name: 'ws' }] }));
    await client.connect(transport);
    let id = '';
    try {
      const listed = await client.callTool({ name: 'list_sessions', arguments: {} });
      const data = listed.structuredContent as { self: string; sessions: Array<{ id: string; self: boolean; label: string }> };
      id = data.self;
      assert.ok(id, `the agent registered (${stderr})`);
      assert.deepEqual(data.sessions.map((s) => [s.label, s.self]).sort(), [['another agent', false], ['redis-agent', true]]);
      await client.callTool({ name: 'set_session_status', arguments: { status: 'on redis' } });
      const seen = (await other.list()).find((s) => s.record.id === id);
      assert.equal(seen?.record.status, 'on redis');
      assert.deepEqual(seen?.record.workspaceFolders, [ws]);
    } finally {
      await client.close();
    }
    let state: string | undefined;
    for (const end = Date.now() + 15_000; Date.now() < end && state !== 'closed'; await new Promise((r) => setTimeout(r, 50))) {
      state = (await other.list()).find((s) => s.record.id === id)?.state;
    }
    assert.equal(state, 'closed', stderr);
    await other.close(elsewhere.id);
    await other.dispose();
    fs.rmSync(ws, { recursive: true, force: true });
  });
});
