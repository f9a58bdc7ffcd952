// Session records as Redis hashes: one hash field per record field, each value the field's JSON
// text (so `"label"` holds `"my window"` with its quotes, `pid` holds `1234`, `closedAt` holds
// `null`). Any Redis client in any language can read and write them with HGETALL/HSET and a
// JSON parser; fields this version does not know are kept as they are.
import { RegistryReplyError } from './registry-errors';
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

/** `record` as HSET arguments: field, JSON value, field, JSON value, … in the record's order. */
export function recordToPairs(record: object): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    out.push(key, JSON.stringify(value));
  }
  return out;
}

/** A flat [field, value, …] array (RESP2 HGETALL) or a field → value object/Map (RESP3) as entries. */
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
 * The record in a hash reply, validated like a record file. Null for an empty reply (no such
 * key). Throws StoredRecordError naming `key` when a value is not JSON, the record is invalid,
 * or it holds another session's id.
 */
export function recordFromReply(reply: unknown, key: string, id: string): { record: SessionRecord; raw: Record<string, string> } | null {
  return recordFromEntries(replyEntries(reply), key, id);
}

/** As recordFromReply, from [field, value] entries. */
export function recordFromEntries(entries: Array<[string, string]>, key: string, id: string): { record: SessionRecord; raw: Record<string, string> } | null {
  if (entries.length === 0) return null;
  const obj: Record<string, unknown> = {};
  const raw: Record<string, string> = {};
  for (const [field, text] of entries) {
    raw[field] = text;
    try {
      obj[field] = JSON.parse(text);
    } catch (err) {
      throw new StoredRecordError('invalid-json', `${key} field ${JSON.stringify(field)} is not valid JSON: ${(err as Error).message}`);
    }
  }
  const checked = checkSessionRecord(obj);
  if (!checked.ok) throw new StoredRecordError('invalid-record', `${key}: ${checked.error}`);
  if (checked.record.id !== id) throw new StoredRecordError('id-mismatch', `${key} holds session ${checked.record.id}, not ${id}`);
  return { record: checked.record, raw };
}

/** The values a cleanup decision depends on, as the archive script compares them. */
export function decisionState(raw: Record<string, string>): string {
  return `${raw.heartbeatAt ?? ''}\n${raw.closedAt ?? ''}\n${raw.staleSince ?? ''}`;
}

/** What the list-batch script returns for one record. */
export type BatchItem = { kind: 'missing' } | { kind: 'entries'; entries: Array<[string, string]> } | { kind: 'reread' };

/**
 * Splits the list-batch script's reply (see LIST_BATCH in redis-scripts.ts) into one item per
 * key asked for. Throws when the count does not match (a reply from something else).
 */
export function splitBatch(reply: unknown, count: number): BatchItem[] {
  const text = String(reply);
  const records = count === 0 ? [] : text.split('\x1d');
  if (records.length !== count) throw new RegistryReplyError(`list batch: ${records.length} records for ${count} keys`);
  return records.map((r): BatchItem => {
    if (r === '') return { kind: 'missing' };
    if (r === '\x1c') return { kind: 'reread' };
    return {
      kind: 'entries',
      entries: r.split('\x1e').map((pair): [string, string] => {
        const at = pair.indexOf('\x1f');
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
    };
  });
}
