// Session records on Redis: each record is one string key holding the record's JSON object, the
// same text a record file holds (docs/format.md, "Records as strings"). A listing fetches them
// with MGET and parses one string per record, as the directory parses one file per record. Any
// Redis client in any language can read them with GET/MGET and a JSON parser; fields this
// version does not know are kept by every script that changes a record.
import { InvalidRecordError } from './session-record';
import { checkSessionRecord, type SessionRecord } from './session-record';

/** Why a stored record was rejected: the kinds list() reports as problems. */
export class StoredRecordError extends InvalidRecordError {
  constructor(
    readonly kind: 'invalid-json' | 'invalid-record' | 'id-mismatch',
    message: string,
  ) {
    super(message);
  }
}

/** `fields` as script arguments: field name, JSON text of the value, … (undefined values left out). */
export function fieldPairs(fields: object): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out.push(key, JSON.stringify(value));
  }
  return out;
}

/** A flat [field, value, …] array (RESP2) or a field → value object/Map (RESP3) as entries. */
export function replyEntries(reply: unknown): Array<[string, string]> {
  if (Array.isArray(reply)) {
    const out: Array<[string, string]> = [];
    for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), String(reply[i + 1])]);
    return out;
  }
  if (reply instanceof Map) return [...reply].map(([k, v]) => [String(k), String(v)]);
  if (reply !== null && typeof reply === 'object') return Object.entries(reply).map(([k, v]) => [k, String(v)]);
  return [];
}

/**
 * The record in a string reply (GET, MGET, a script), validated like a record file. Null for a
 * null reply (no such key). Throws StoredRecordError naming `key` when the text is not JSON,
 * the record is invalid, or it holds another session's id.
 */
export function recordFromText(text: unknown, key: string, id: string): SessionRecord | null {
  if (text === null || text === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(String(text));
  } catch (err) {
    throw new StoredRecordError('invalid-json', `${key} is not valid JSON: ${(err as Error).message}`);
  }
  const checked = checkSessionRecord(value);
  if (!checked.ok) throw new StoredRecordError('invalid-record', `${key}: ${checked.error}`);
  if (checked.record.id !== id) throw new StoredRecordError('id-mismatch', `${key} holds session ${checked.record.id}, not ${id}`);
  return checked.record;
}

/**
 * The values a cleanup decision depends on (heartbeatAt, closedAt, staleSince; '' when absent,
 * `null` for null), newline-separated, as the archive script compares them.
 */
export function decisionState(record: SessionRecord): string {
  const decided = (v: string | null | undefined): string => (v === undefined ? '' : v === null ? 'null' : v);
  return `${decided(record.heartbeatAt)}\n${decided(record.closedAt)}\n${decided(record.staleSince)}`;
}
