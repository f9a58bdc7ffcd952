// A SessionInfo as the store lists it, for tests of the pure UI model: plain data with every
// field a reader gets, overridable per test.
import type { SessionInfo } from '../../src/core/session-store';

let next = 1;

/** A fresh, valid session id (UUID v7 shape) for tests: ...0001, ...0002, … */
export function testSessionId(): string {
  return `01890a5d-ac96-774b-bcce-${String(next++).padStart(12, '0')}`;
}

/** An active, unarchived session listed 12 s after its last heartbeat, with `record` and `info` overrides. */
export function sessionInfo(record: Partial<SessionInfo['record']> = {}, info: Partial<Omit<SessionInfo, 'record'>> = {}): SessionInfo {
  const id = record.id ?? testSessionId();
  return {
    record: {
      version: 1,
      id,
      pid: 4242,
      processStartedAt: null,
      hostname: 'build-01',
      user: 'ann',
      label: 'api server',
      workspaceFolders: ['/home/ann/api'],
      tool: 'vscode',
      createdAt: '2025-01-01T00:00:00.000Z',
      heartbeatAt: '2025-01-01T00:00:00.000Z',
      heartbeatIntervalMs: 10_000,
      closedAt: null,
      ...record,
    },
    state: 'active',
    reason: 'heartbeat 12 s ago',
    heartbeatAgeMs: 12_000,
    file: `/s/${id}.json`,
    journal: `/s/${id}.jsonl`,
    archivedOn: null,
    ...info,
  };
}
