// A SessionInfo as the store lists it, for tests of the pure UI model: a record from the one
// record builder (records.ts) with the state, reason, age and paths a reader gets.
import type { SessionInfo } from '../../src/core/session-store';
import { sessionRecord } from './records';

/**
 * An active, unarchived session listed 12 s after its last heartbeat (2025-01-01T00:00:00Z),
 * pid 4242 on host build-01; `record` and `info` override fields.
 */
export function sessionInfo(record: Partial<SessionInfo['record']> = {}, info: Partial<Omit<SessionInfo, 'record'>> = {}): SessionInfo {
  const full = sessionRecord({
    pid: 4242,
    hostname: 'build-01',
    user: 'ann',
    label: 'api server',
    workspaceFolders: ['/home/ann/api'],
    tool: 'vscode',
    createdAt: '2025-01-01T00:00:00.000Z',
    heartbeatAt: '2025-01-01T00:00:00.000Z',
    ...record,
  });
  return {
    record: full,
    state: 'active',
    reason: 'heartbeat 12 s ago',
    heartbeatAgeMs: 12_000,
    file: `/s/${full.id}.json`,
    journal: `/s/${full.id}.jsonl`,
    archivedOn: null,
    ...info,
  };
}
