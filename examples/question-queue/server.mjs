// A minimal MCP server that stores questions in one JSONL queue shared by all its instances.
// Each instance is a session (others see it in `session-keeper list`, the VS Code tree and
// list_sessions); appends go through the library's lock, so any number of instances can write
// to the same queue at once without losing or interleaving a line.
//
//   QUESTION_QUEUE=/path/to/questions.jsonl node examples/question-queue/server.mjs
import * as path from 'node:path';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { appendJsonl, startSession } from 'session-keeper';

const queue = path.resolve(process.env.QUESTION_QUEUE ?? 'questions.jsonl');
const session = await startSession({
  label: `question queue (pid ${process.pid})`,
  tool: 'example:question-queue',
  workspaceFolders: [path.dirname(queue)],
});
let seq = 0;

const server = new Server({ name: 'question-queue', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, () => ({
  tools: [
    {
      name: 'ask',
      description: 'Adds a question to the shared queue.',
      inputSchema: { type: 'object', properties: { question: { type: 'string', minLength: 1 } }, required: ['question'] },
    },
  ],
}));
server.setRequestHandler(CallToolRequestSchema, async ({ params }) => {
  const question = params.arguments?.question;
  if (params.name !== 'ask' || typeof question !== 'string' || question === '') {
    return { isError: true, content: [{ type: 'text', text: 'call ask with a non-empty "question"' }] };
  }
  seq += 1;
  // One JSON line under the queue's lock: concurrent instances never tear or lose a line.
  await appendJsonl(queue, { session: session.id, seq, question, at: new Date().toISOString() });
  return { content: [{ type: 'text', text: `queued as #${seq}` }] };
});

// The client disconnected: close the session (others see it closed at once) and stop.
process.stdin.on('end', () => void session.close().finally(() => process.exit(0)));
await server.connect(new StdioServerTransport());
