// The on-disk session record (format version 1): its schema, limits and validation.
// Records are written by this package and by other tools (possibly buggy ones), so everything
// read from disk is validated before anyone trusts it. See docs/format.md.
import { SessionKeeperError } from './errors';

export const FORMAT_VERSION = 1;

export type SessionState = 'active' | 'unresponsive' | 'stale' | 'closed';

export interface SessionRecord {
  version: 1;
  id: string;
  pid: number;
  /** Start time of process `pid` (ISO 8601) so a reused pid can be told apart; null if unknown. */
  processStartedAt: string | null;
  hostname: string;
  user: string;
  label: string;
  workspaceFolders: string[];
  tool: string;
  createdAt: string;
  heartbeatAt: string;
  heartbeatIntervalMs: number;
  closedAt: string | null;
  // Optional fields (additive to format version 1; absent or null = unknown / the default).
  /** Linux /proc/sys/kernel/random/boot_id of the creator's host: which boot `pid` belongs to. */
  bootId?: string | null;
  /** Link target of the creator's /proc/self/ns/pid (e.g. `pid:[4026531836]`): the PID space `pid` is numbered in. */
  pidNamespace?: string | null;
  /** Field 22 of /proc/<pid>/stat: start of `pid` in clock ticks after boot; immune to wall-clock steps. */
  processStartTicks?: number | null;
  /** No heartbeat for longer than this (ms) means unresponsive; default 3 × heartbeatIntervalMs. */
  unresponsiveAfterMs?: number | null;
  /** No heartbeat for longer than this (ms) means stale; default 24 h. */
  expireAfterMs?: number | null;
  /**
   * Optional free-text status line the owner sets while the session runs ("reviewing PR 12",
   * "waiting for input"); absent or empty when there is none. One line, ≤ LIMITS.status chars.
   */
  status?: string;
  /**
   * ISO 8601 time when a cleanup first judged the session stale; automatic cleanup archives it
   * only once its grace period has passed since then. Removed by the owner's next heartbeat.
   */
  staleSince?: string | null;
}

/** The optional fields naming the PID space of `pid`, in record order. */
export const PID_SPACE_FIELDS = ['bootId', 'pidNamespace'] as const;

/** Limits keep one bad record from costing every reader memory and time. */
export const LIMITS = {
  /** Record files larger than this are not read at all. */
  recordBytes: 1024 * 1024,
  label: 1000,
  /** The optional status line. */
  status: 500,
  tool: 200,
  hostname: 255,
  user: 256,
  workspaceFolders: 256,
  workspaceFolder: 4096,
  /** The largest pid any supported OS hands out fits in a signed 32-bit int. */
  pid: 0x7fffffff,
  minHeartbeatIntervalMs: 100,
  maxHeartbeatIntervalMs: 24 * 60 * 60 * 1000,
  /** bootId and pidNamespace: opaque identifiers, compared exactly. */
  pidSpaceId: 128,
  /** unresponsiveAfterMs and expireAfterMs. */
  minThresholdMs: 100,
  maxThresholdMs: 365 * 24 * 60 * 60 * 1000,
} as const;

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 10_000;

/** Lowercase RFC 4122/9562 textual form. Only such ids ever become file names. */
/**
 * A session id: a lowercase UUID (any version; we write v7). The one copy of the pattern: record
 * and archive file names are built from it (`<id>.json`, `<id>.2.jsonl`).
 */
export const SESSION_ID_PATTERN = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const SESSION_ID_RE = new RegExp(`^${SESSION_ID_PATTERN}$`);

/**
 * ISO 8601 date-time with an explicit offset, as produced by Date#toISOString and most
 * libraries. Field ranges are checked here so no Date.parse is needed per record.
 */
const ISO_RE =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/** A session id that is not a lowercase UUID (so not safe as a file name stem). Code `EINVALIDSESSIONID`. */
export class InvalidSessionIdError extends SessionKeeperError {
  constructor(readonly id: unknown) {
    super('EINVALIDSESSIONID', `invalid session id ${describeValue(id)}: expected a lowercase UUID such as 01890a5d-ac96-774b-bcce-b302099a8057`);
  }
}

/** A record, or input to one, that breaks the format's rules (docs/format.md). Code `EINVALIDRECORD`. */
export class InvalidRecordError extends SessionKeeperError {
  constructor(message: string) {
    super('EINVALIDRECORD', message);
  }
}

export function isSessionId(id: unknown): id is string {
  return typeof id === 'string' && SESSION_ID_RE.test(id);
}

/** Throws InvalidSessionIdError unless `id` is safe to use as a file name stem. */
export function assertSessionId(id: unknown): asserts id is string {
  if (!isSessionId(id)) throw new InvalidSessionIdError(id);
}

export function isIsoTimestamp(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 40 && ISO_RE.test(value);
}

export type RecordCheck = { ok: true; record: SessionRecord } | { ok: false; error: string };

/**
 * Validates a parsed JSON value as a version-1 session record. Unknown extra fields are allowed
 * (forward compatibility). Returns the first problem found as a readable sentence.
 */
export function checkSessionRecord(value: unknown): RecordCheck {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(`record is ${describeType(value)}, expected an object`);
  }
  const v = value as Record<string, unknown>;
  if (v.version !== FORMAT_VERSION) {
    if (typeof v.version === 'number' && v.version > FORMAT_VERSION) {
      return fail(`format version ${v.version} is newer than this reader supports (${FORMAT_VERSION})`);
    }
    return fail(`"version" is ${describeValue(v.version)}, expected ${FORMAT_VERSION}`);
  }
  if (!isSessionId(v.id)) return fail(`"id" is ${describeValue(v.id)}, expected a lowercase UUID`);
  if (!isPid(v.pid)) return fail(`"pid" is ${describeValue(v.pid)}, expected an integer from 1 to ${LIMITS.pid}`);
  if (v.processStartedAt !== null && !isIsoTimestamp(v.processStartedAt)) {
    return fail(`"processStartedAt" is ${describeValue(v.processStartedAt)}, expected an ISO 8601 time or null`);
  }
  const text =
    checkString(v, 'hostname', LIMITS.hostname, false) ??
    checkString(v, 'user', LIMITS.user, true) ??
    checkString(v, 'label', LIMITS.label, true) ??
    checkString(v, 'tool', LIMITS.tool, true);
  if (text) return fail(text);
  if (v.status !== undefined) {
    const status = checkString(v, 'status', LIMITS.status, true);
    if (status) return fail(status);
  }
  const folders = checkFolders(v.workspaceFolders);
  if (folders) return fail(folders);
  for (const key of ['createdAt', 'heartbeatAt'] as const) {
    if (!isIsoTimestamp(v[key])) return fail(`"${key}" is ${describeValue(v[key])}, expected an ISO 8601 time`);
  }
  if (v.closedAt !== null && !isIsoTimestamp(v.closedAt)) {
    return fail(`"closedAt" is ${describeValue(v.closedAt)}, expected an ISO 8601 time or null`);
  }
  if (!isHeartbeatInterval(v.heartbeatIntervalMs)) {
    return fail(
      `"heartbeatIntervalMs" is ${describeValue(v.heartbeatIntervalMs)}${notWhole(v.heartbeatIntervalMs)}, expected an integer from ` +
        `${LIMITS.minHeartbeatIntervalMs} to ${LIMITS.maxHeartbeatIntervalMs}`,
    );
  }
  const optional = checkOptionalFields(v);
  if (optional) return fail(optional);
  // The validated object itself (no copy: list() validates thousands per call). Extra fields of
  // newer writers stay on it.
  return { ok: true, record: v as unknown as SessionRecord };
}

/** Like checkSessionRecord but throws InvalidRecordError. */
export function parseSessionRecord(value: unknown): SessionRecord {
  const result = checkSessionRecord(value);
  if (!result.ok) throw new InvalidRecordError(result.error);
  return result.record;
}

export function isPid(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= LIMITS.pid;
}

export function isHeartbeatInterval(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= LIMITS.minHeartbeatIntervalMs &&
    value <= LIMITS.maxHeartbeatIntervalMs
  );
}

/** An unresponsiveAfterMs / expireAfterMs value: an integer number of ms within the limits. */
export function isThresholdMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= LIMITS.minThresholdMs && value <= LIMITS.maxThresholdMs;
}

/** The optional fields: each absent, null, or well-formed. Returns the first problem. */
function checkOptionalFields(v: Record<string, unknown>): string | null {
  for (const key of PID_SPACE_FIELDS) {
    const s = v[key];
    if (s === undefined || s === null) continue;
    // Printable ASCII only: these are kernel identifiers, compared byte for byte.
    if (typeof s !== 'string' || s.length === 0 || s.length > LIMITS.pidSpaceId || !/^[\x21-\x7e]+$/.test(s)) {
      return `"${key}" is ${describeValue(s)}, expected null or 1 to ${LIMITS.pidSpaceId} printable ASCII characters without spaces`;
    }
  }
  const ticks = v.processStartTicks;
  if (ticks !== undefined && ticks !== null && !(typeof ticks === 'number' && Number.isSafeInteger(ticks) && ticks >= 0)) {
    return `"processStartTicks" is ${describeValue(ticks)}${notWhole(ticks)}, expected null or an integer from 0 to ${Number.MAX_SAFE_INTEGER}`;
  }
  for (const key of ['unresponsiveAfterMs', 'expireAfterMs'] as const) {
    const ms = v[key];
    if (ms !== undefined && ms !== null && !isThresholdMs(ms)) {
      return `"${key}" is ${describeValue(ms)}${notWhole(ms)}, expected null or an integer from ${LIMITS.minThresholdMs} to ${LIMITS.maxThresholdMs}`;
    }
  }
  if (v.staleSince !== undefined && v.staleSince !== null && !isIsoTimestamp(v.staleSince)) {
    return `"staleSince" is ${describeValue(v.staleSince)}, expected null or an ISO 8601 time`;
  }
  return null;
}

/** What a heartbeat may change besides heartbeatAt: the owner's own timing (ms). Undefined = keep. */
export interface RecordTimingUpdate {
  heartbeatIntervalMs?: number;
  unresponsiveAfterMs?: number | null;
  expireAfterMs?: number | null;
}

/** Throws RangeError for a timing update a record could not hold (out of range, or not a whole number of ms). */
export function checkTimingUpdate(update: RecordTimingUpdate): void {
  if (update.heartbeatIntervalMs !== undefined && !isHeartbeatInterval(update.heartbeatIntervalMs)) {
    throw new RangeError(msRangeError('heartbeat interval', update.heartbeatIntervalMs, LIMITS.minHeartbeatIntervalMs, LIMITS.maxHeartbeatIntervalMs));
  }
  for (const key of ['unresponsiveAfterMs', 'expireAfterMs'] as const) {
    const v = update[key];
    if (v !== undefined && v !== null && !isThresholdMs(v)) throw new RangeError(msRangeError(key, v, LIMITS.minThresholdMs, LIMITS.maxThresholdMs));
  }
}

/**
 * "heartbeat interval 1000.5 is not a whole number of ms" or "… 50 is out of range 100..86400000
 * ms": the message for a timing value a record cannot hold.
 */
export function msRangeError(what: string, value: unknown, min: number, max: number): string {
  if (typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value)) {
    return `${what} ${value} is not a whole number of ms (records hold integers from ${min} to ${max})`;
  }
  return `${what} ${String(value)} is out of range ${min}..${max} ms`;
}

/**
 * The problem with explicitly given thresholds that contradict each other or the interval, as
 * a sentence; null when heartbeatIntervalMs ≤ unresponsiveAfterMs ≤ expireAfterMs holds, where
 * an absent unresponsiveAfterMs means 3 × the interval and an absent expireAfterMs 24 h.
 * Readers clamp such records anyway (thresholdsOf); writers reject them so nobody is surprised.
 */
export function thresholdOrderProblem(t: { heartbeatIntervalMs: number; unresponsiveAfterMs?: number | null; expireAfterMs?: number | null }): string | null {
  const unresponsive = t.unresponsiveAfterMs ?? 3 * t.heartbeatIntervalMs;
  if (typeof t.unresponsiveAfterMs === 'number' && t.unresponsiveAfterMs < t.heartbeatIntervalMs) {
    return `the unresponsive threshold ${t.unresponsiveAfterMs} ms is shorter than the heartbeat interval ${t.heartbeatIntervalMs} ms`;
  }
  if (typeof t.expireAfterMs === 'number' && t.expireAfterMs < unresponsive) {
    const from = typeof t.unresponsiveAfterMs === 'number' ? '' : ' (3 × the heartbeat interval)';
    return `the expiry ${t.expireAfterMs} ms is shorter than the unresponsive threshold ${unresponsive} ms${from}`;
  }
  return null;
}

/** The record fields a timing update sets (only those given). */
export function timingFields(update: RecordTimingUpdate): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['heartbeatIntervalMs', 'unresponsiveAfterMs', 'expireAfterMs'] as const) {
    if (update[key] !== undefined) out[key] = update[key];
  }
  return out;
}

/** Validates an owner's change of label and/or status line (same limits as records); null when fine. */
export function checkSessionUpdate(input: { label?: unknown; status?: unknown }): string | null {
  const probe = input as Record<string, unknown>;
  return (
    (input.label !== undefined ? checkString(probe, 'label', LIMITS.label, true) : null) ??
    (input.status !== undefined ? checkString(probe, 'status', LIMITS.status, true) : null)
  );
}

/** Validates caller input for a new session (labels, folders, tool) with the same limits. */
export function checkSessionInput(input: { label: unknown; workspaceFolders?: unknown; tool?: unknown }): string | null {
  const probe: Record<string, unknown> = { label: input.label, tool: input.tool ?? '' };
  return (
    checkString(probe, 'label', LIMITS.label, true) ??
    checkString(probe, 'tool', LIMITS.tool, true) ??
    checkFolders(input.workspaceFolders ?? [])
  );
}

/** What a caller asks for when registering a session (SessionStore.create, RedisRegistry.create). */
export interface CreateInput {
  label: string;
  workspaceFolders?: string[];
  tool?: string;
  /** The process the session stands for; default this process. Must be alive on this host. */
  pid?: number;
  heartbeatIntervalMs?: number;
  /** Written into the record: unresponsive after this long without a heartbeat (ms); default StoreOptions.unresponsiveAfterMs, else 3 intervals. */
  unresponsiveAfterMs?: number;
  /** Written into the record: stale after this long without a heartbeat (ms); default StoreOptions.expireAfterMs, else 24 h. */
  expireAfterMs?: number;
}

/** The timing values and pid of a new record, after checkCreateInput: defaults applied, all in range. */
export interface CheckedCreate {
  /** ms. */
  heartbeatIntervalMs: number;
  /** ms; undefined when neither the request nor the store's defaults give one (readers use 3 intervals). */
  unresponsiveAfterMs: number | undefined;
  /** ms; undefined when neither gives one (readers use 24 h). */
  expireAfterMs: number | undefined;
  pid: number;
}

/**
 * Checks a registration request the same way for every registry: label, folders and tool
 * (InvalidRecordError), then the heartbeat interval, the thresholds and the pid (RangeError).
 * Values missing from `input` come from the store's `defaults`, then DEFAULT_HEARTBEAT_INTERVAL_MS
 * and this process's pid. Whether the pid is alive is the caller's check (it needs the probe).
 */
export function checkCreateInput(
  input: CreateInput,
  defaults: { heartbeatIntervalMs?: number | undefined; unresponsiveAfterMs?: number | undefined; expireAfterMs?: number | undefined },
): CheckedCreate {
  const inputError = checkSessionInput({ label: input.label, workspaceFolders: input.workspaceFolders, tool: input.tool });
  if (inputError) throw new InvalidRecordError(inputError);
  const heartbeatIntervalMs = input.heartbeatIntervalMs ?? defaults.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  if (!isHeartbeatInterval(heartbeatIntervalMs)) {
    throw new RangeError(msRangeError('heartbeat interval', heartbeatIntervalMs, LIMITS.minHeartbeatIntervalMs, LIMITS.maxHeartbeatIntervalMs));
  }
  const thresholds = {
    unresponsiveAfterMs: input.unresponsiveAfterMs ?? defaults.unresponsiveAfterMs,
    expireAfterMs: input.expireAfterMs ?? defaults.expireAfterMs,
  };
  for (const [key, value] of Object.entries(thresholds)) {
    if (value !== undefined && !isThresholdMs(value)) throw new RangeError(msRangeError(key, value, LIMITS.minThresholdMs, LIMITS.maxThresholdMs));
  }
  const pid = input.pid ?? process.pid;
  if (!isPid(pid)) throw new RangeError(`invalid pid ${String(pid)}: expected an integer from 1 to ${LIMITS.pid}`);
  return { heartbeatIntervalMs, ...thresholds, pid };
}

function checkString(v: Record<string, unknown>, key: string, max: number, emptyOk: boolean): string | null {
  const s = v[key];
  if (typeof s !== 'string') return `"${key}" is ${describeValue(s)}, expected a string`;
  if (!emptyOk && s.length === 0) return `"${key}" is empty`;
  if (s.length > max) return `"${key}" is ${s.length} characters long, the limit is ${max}`;
  if (s.includes('\0')) return `"${key}" contains a NUL character`;
  return null;
}

function checkFolders(value: unknown): string | null {
  if (!Array.isArray(value)) return `"workspaceFolders" is ${describeValue(value)}, expected an array of strings`;
  if (value.length > LIMITS.workspaceFolders) {
    return `"workspaceFolders" has ${value.length} entries, the limit is ${LIMITS.workspaceFolders}`;
  }
  for (let i = 0; i < value.length; i++) {
    const f: unknown = value[i];
    if (typeof f !== 'string' || f.length === 0 || f.length > LIMITS.workspaceFolder || f.includes('\0')) {
      return `"workspaceFolders[${i}]" is ${describeValue(f)}, expected a non-empty path of at most ${LIMITS.workspaceFolder} characters`;
    }
  }
  return null;
}

function fail(error: string): RecordCheck {
  return { ok: false, error };
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

/** " (not a whole number)" for a finite fractional number, else "": says why an integer field failed. */
function notWhole(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value) ? ' (not a whole number)' : '';
}

/** A short, printable rendering of an untrusted value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'string') {
    const shown = JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
    return value.length > 60 ? `${shown} (${value.length} characters)` : shown;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return describeType(value);
}
