// examples/question-queue end to end: four instances through four MCP clients at once, a
// hundred questions each into one shared JSONL queue. Needs the build (the example imports
// the package by name).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { readJsonl } from '../../src/core/jsonl-reader';
import { SessionStore } from '../../src/core/session-store';

const SERVER = path.resolve(__dirname, '..', '..', '..', 'examples', 'question-queue', 'server.mjs');
const INSTANCES = 4;
const QUESTIONS = 100;

const temps: string[] = [];
after(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

describe('examples/question-queue', () => {
  test(`${INSTANCES} instances append ${QUESTIONS} questions each: all there once, in each writer's order`, async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sk-example-'));
    temps.push(work);
    const dir = path.join(work, 'sessions');
    const queue = path.join(work, 'questions.jsonl');
    const env = { ...(process.env as Record<string, string>), SESSION_KEEPER_DIR: dir, QUESTION_QUEUE: queue };
    const clients = await Promise.all(
      Array.from({ length: INSTANCES }, async (_, i) => {
        const client = new Client({ name: `asker-${i}`, version: '1.0.0' });
        await client.connect(new StdioClientTransport({ command: process.execPath, args: [SERVER], env, stderr: 'inherit' }));
        return client;
      }),
    );
    const store = new SessionStore(dir, { cleanupOnCreate: false });
    const activeSeen = new Set<string>();
    const mine = async (): Promise<Array<{ id: string; state: string }>> =>
      (await store.list()).filter((s) => s.record.tool === 'example:question-queue').map((s) => ({ id: s.record.id, state: s.state }));
    try {
      // Each instance registered before it served `initialize`, so all four are there now.
      for (const s of await mine()) if (s.state === 'active') activeSeen.add(s.id);
      let writing = true;
      const watcher = (async () => {
        while (writing) {
          for (const s of await mine()) if (s.state === 'active') activeSeen.add(s.id);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      await Promise.all(
        clients.map(async (client, i) => {
          for (let n = 1; n <= QUESTIONS; n++) {
            const r = await client.callTool({ name: 'ask', arguments: { question: `asker ${i} question ${n}` } });
            assert.notEqual(r.isError, true);
          }
        }),
      );
      writing = false;
      await watcher;
      assert.equal(activeSeen.size, INSTANCES, 'all instances were active sessions while they ran');
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }

    const ended = await mine();
    assert.equal(ended.length, INSTANCES);
    assert.deepEqual(
      ended.map((s) => s.state),
      Array(INSTANCES).fill('closed'),
      'every instance closed its session when its client disconnected',
    );
    assert.deepEqual(new Set(ended.map((s) => s.id)), activeSeen);

    const bySession = new Map<string, Array<{ seq: number; question: string }>>();
    let total = 0;
    const iterator = readJsonl(queue);
    for (;;) {
      const step = await iterator.next();
      if (step.done) {
        assert.equal(step.value.corrupted, 0, 'no torn or interleaved line');
        break;
      }
      const v = step.value.value as { session: string; seq: number; question: string };
      total++;
      const list = bySession.get(v.session) ?? [];
      list.push(v);
      bySession.set(v.session, list);
    }
    assert.equal(total, INSTANCES * QUESTIONS);
    assert.equal(bySession.size, INSTANCES);
    const askers = new Set<string>();
    for (const [session, entries] of bySession) {
      assert.ok(activeSeen.has(session));
      // In the writer's order: seq 1..100 and its questions 1..100, each exactly once.
      assert.deepEqual(
        entries.map((e) => e.seq),
        Array.from({ length: QUESTIONS }, (_, k) => k + 1),
      );
      const asker = /^asker (\d+) question 1$/.exec(entries[0]?.question ?? '')?.[1];
      assert.ok(asker !== undefined);
      askers.add(asker);
      assert.deepEqual(
        entries.map((e) => e.question),
        Array.from({ length: QUESTIONS }, (_, k) => `asker ${asker} question ${k + 1}`),
      );
    }
    assert.equal(askers.size, INSTANCES);
  });
});
