// Key names of a registry on Redis (docs/format.md, "Registry on Redis"). Every key starts with
// `<prefix>:`, so an ACL key pattern `~<prefix>:*` confines a user to one registry.
import { assertSessionId } from './session-record';

export interface RedisKeys {
  /** String: the live record of a session, its JSON object (redis-records.ts). */
  session(id: string): string;
  /** Stream: the session's journal, one entry per event with a single field `json`. */
  journal(id: string): string;
  /** Set of the ids of live (not archived) records. */
  readonly sessions: string;
  /** Set of archive days (YYYY-MM-DD, UTC) that hold archived sessions. */
  readonly archiveDays: string;
  /** Set of the entry names (`<id>` or `<id>.<n>`) archived on `day`. */
  archiveDay(day: string): string;
  /** String: an archived record. */
  archivedSession(day: string, name: string): string;
  /** Stream: an archived journal. */
  archivedJournal(day: string, name: string): string;
  /** Hash: session id → `<day>/<name>` of its latest archived copy. */
  readonly archivedIndex: string;
  /** Pub/sub channel: one message per change, `{"op":…,"id":…}`. */
  readonly events: string;
}

/** The key names under `prefix`. Ids are validated: no key is formed from an unchecked string. */
export function redisKeys(prefix: string): RedisKeys {
  return {
    session: (id) => {
      assertSessionId(id);
      return `${prefix}:session:${id}`;
    },
    journal: (id) => {
      assertSessionId(id);
      return `${prefix}:journal:${id}`;
    },
    sessions: `${prefix}:sessions`,
    archiveDays: `${prefix}:archive-days`,
    archiveDay: (day) => `${prefix}:archive:${day}`,
    archivedSession: (day, name) => `${prefix}:archive:${day}:session:${name}`,
    archivedJournal: (day, name) => `${prefix}:archive:${day}:journal:${name}`,
    archivedIndex: `${prefix}:archived`,
    events: `${prefix}:events`,
  };
}
