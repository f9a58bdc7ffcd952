// One builder of session records for tests: a valid version-1 record with plain defaults, which
// each test overrides with what it is about.
import { v7 as uuidv7 } from 'uuid';
import { FORMAT_VERSION, type SessionRecord } from '../../src/core/session-record';

/**
 * A valid record: a fresh uuidv7 id, this process's pid, no process start time, host
 * `test-host`, created and heartbeated now, interval 10 s, open. `overrides` replace or add
 * fields (extra fields of newer writers too; `undefined` values stay as keys, so delete a field
 * to drop it). The result is both a SessionRecord and a plain object, for tests that damage it.
 */
export function sessionRecord(overrides: Partial<SessionRecord> | Record<string, unknown> = {}): SessionRecord & Record<string, unknown> {
  const at = new Date().toISOString();
  return {
    version: FORMAT_VERSION,
    id: uuidv7(),
    pid: process.pid,
    processStartedAt: null,
    hostname: 'test-host',
    user: 'ada',
    label: 'x',
    workspaceFolders: [],
    tool: 'test',
    createdAt: at,
    heartbeatAt: at,
    heartbeatIntervalMs: 10_000,
    closedAt: null,
    ...overrides,
  } as SessionRecord & Record<string, unknown>;
}

/** The moment the pure liveness tests judge at (2025-03-01T12:00:00Z), in ms since the epoch. */
export const LIVENESS_NOW = Date.parse('2025-03-01T12:00:00.000Z');
/** The host name the pure liveness tests judge on. */
export const LIVENESS_HOST = 'this-host';

/**
 * A record to judge at LIVENESS_NOW on LIVENESS_HOST: pid 4242, whose process started at
 * 2025-03-01T08:00:00Z, the session created a second later, its last heartbeat `heartbeatAgeMs`
 * before LIVENESS_NOW; `overrides` replace fields.
 */
export function livenessRecord(heartbeatAgeMs: number, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return sessionRecord({
    pid: 4242,
    processStartedAt: '2025-03-01T08:00:00.000Z',
    hostname: LIVENESS_HOST,
    createdAt: '2025-03-01T08:00:01.000Z',
    heartbeatAt: new Date(LIVENESS_NOW - heartbeatAgeMs).toISOString(),
    ...overrides,
  });
}
