// The Lua scripts that change a registry on Redis. Each runs atomically on the server (no other
// command runs in between), so two writers of one record never lose each other's fields, and
// each takes its time from the server's own clock (TIME), so the writers' clocks never matter.
// Every script gets the key prefix as ARGV[1] and builds its key names from it, as laid out in
// redis-layout.ts (so a registry needs a single Redis, not a Cluster: scripts touch many keys).
// Record hashes hold one field per record field, the value JSON-encoded; `closedAt` is `null`
// while the session is open.

/** Helpers shared by the scripts: server time, ISO 8601 formatting, journal events, notifications. */
const PRELUDE = `
local P = ARGV[1]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Epoch ms to 'YYYY-MM-DDTHH:MM:SS.mmmZ' (days to civil date: proleptic Gregorian calendar).
local function iso(ms)
  local s = math.floor(ms / 1000)
  local milli = ms - s * 1000
  local days = math.floor(s / 86400)
  local sod = s - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400
  if m <= 2 then y = y + 1 end
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d, math.floor(sod / 3600), math.floor(sod / 60) % 60, sod % 60, milli)
end
local function q(s) return cjson.encode(s) end
local function event(jkey, name, id, at, writer, host, reason)
  local e = { event = name, at = at, sessionId = id, writerPid = tonumber(writer), hostname = host }
  if reason ~= nil and reason ~= '' then e.reason = reason end
  redis.call('XADD', jkey, '*', 'json', cjson.encode(e))
end
local function publish(op, id)
  redis.call('PUBLISH', P .. ':events', cjson.encode({ op = op, id = id }))
end
local function is_open(key)
  local closed = redis.call('HGET', key, 'closedAt')
  return closed == false or closed == 'null'
end
`;

/**
 * create: ARGV = prefix, id, writerPid, hostname, then field/value pairs of the record in order
 * (createdAt and heartbeatAt are set from the server clock). Error `EXISTS` when the id is taken.
 * Returns the record (HGETALL).
 */
export const CREATE = `${PRELUDE}
local id = ARGV[2]
local key = P .. ':session:' .. id
if redis.call('EXISTS', key) == 1 then return redis.error_reply('EXISTS') end
local at = q(iso(now_ms()))
local fv = {}
for i = 5, #ARGV, 2 do
  fv[#fv + 1] = ARGV[i]
  if ARGV[i] == 'createdAt' or ARGV[i] == 'heartbeatAt' then fv[#fv + 1] = at else fv[#fv + 1] = ARGV[i + 1] end
end
redis.call('HSET', key, unpack(fv))
redis.call('SADD', P .. ':sessions', id)
event(P .. ':journal:' .. id, 'created', id, cjson.decode(at), ARGV[3], ARGV[4], '')
publish('created', id)
return redis.call('HGETALL', key)
`;

/**
 * heartbeat: ARGV = prefix, id, writerPid, hostname, n, n field/value pairs to set (timing
 * changes), m, m fields to delete, k, k field/value pairs of the record the writer knows (to
 * register again from when the record is gone; 0 when it knows none). Errors `CLOSED`,
 * `NOTFOUND`. A record archived meanwhile comes back from the writer's copy, else from the
 * archived copy, unless that one is closed: the archive has the latest word. Removes
 * staleSince (a heartbeat is a sign of life). Returns the record.
 */
export const HEARTBEAT = `${PRELUDE}
local id = ARGV[2]
local key = P .. ':session:' .. id
local i = 5
local function take_pairs()
  local n = tonumber(ARGV[i]); i = i + 1
  local out = {}
  for _ = 1, n do out[#out + 1] = ARGV[i]; out[#out + 1] = ARGV[i + 1]; i = i + 2 end
  return out
end
local sets = take_pairs()
local ndel = tonumber(ARGV[i]); i = i + 1
local dels = {}
for _ = 1, ndel do dels[#dels + 1] = ARGV[i]; i = i + 1 end
local known = take_pairs()
local at = iso(now_ms())
local why = nil
local revived = false
if redis.call('EXISTS', key) == 1 then
  if not is_open(key) then return redis.error_reply('CLOSED') end
  revived = redis.call('HEXISTS', key, 'staleSince') == 1
else
  local base = known
  local where = redis.call('HGET', P .. ':archived', id)
  if where then
    local day, name = string.match(where, '^([^/]+)/(.+)$')
    local akey = P .. ':archive:' .. day .. ':session:' .. name
    if not is_open(akey) then return redis.error_reply('CLOSED') end
    if #base == 0 then base = redis.call('HGETALL', akey) end
    why = 'record was archived'
  else
    why = 'record was missing'
  end
  if #base == 0 then return redis.error_reply('NOTFOUND') end
  for j = 1, #base, 2 do
    if base[j] == 'closedAt' and base[j + 1] ~= 'null' then return redis.error_reply('CLOSED') end
  end
  redis.call('HSET', key, unpack(base))
  redis.call('SADD', P .. ':sessions', id)
end
if #sets > 0 then redis.call('HSET', key, unpack(sets)) end
if #dels > 0 then redis.call('HDEL', key, unpack(dels)) end
redis.call('HDEL', key, 'staleSince')
redis.call('HSET', key, 'heartbeatAt', q(at), 'closedAt', 'null')
if why then
  event(P .. ':journal:' .. id, 're-registered', id, at, ARGV[3], ARGV[4], why .. ' at heartbeat')
  publish('re-registered', id)
elseif revived or #sets > 0 or #dels > 0 then
  publish('heartbeat', id)
end
return redis.call('HGETALL', key)
`;

/**
 * update: ARGV = prefix, id, then field/value pairs (label, status, workspaceFolders). Errors
 * `NOTFOUND`, `CLOSED`. Also refreshes heartbeatAt. Returns the record.
 */
export const UPDATE = `${PRELUDE}
local id = ARGV[2]
local key = P .. ':session:' .. id
if redis.call('EXISTS', key) == 0 then return redis.error_reply('NOTFOUND') end
if not is_open(key) then return redis.error_reply('CLOSED') end
local fv = {}
for i = 3, #ARGV do fv[#fv + 1] = ARGV[i] end
if #fv > 0 then redis.call('HSET', key, unpack(fv)) end
redis.call('HSET', key, 'heartbeatAt', q(iso(now_ms())))
publish('updated', id)
return redis.call('HGETALL', key)
`;

/**
 * close: ARGV = prefix, id, writerPid, hostname. Returns 1 when it closed the session, 0 when it
 * was closed or archived already; error `NOTFOUND` when there is no such session.
 */
export const CLOSE = `${PRELUDE}
local id = ARGV[2]
local key = P .. ':session:' .. id
if redis.call('EXISTS', key) == 0 then
  if redis.call('HEXISTS', P .. ':archived', id) == 1 then return 0 end
  return redis.error_reply('NOTFOUND')
end
if not is_open(key) then return 0 end
local at = iso(now_ms())
redis.call('HSET', key, 'closedAt', q(at))
event(P .. ':journal:' .. id, 'closed', id, at, ARGV[3], ARGV[4], '')
publish('closed', id)
return 1
`;

/**
 * markStale: ARGV = prefix, id, heartbeatAt as judged (raw hash value). Writes staleSince = now
 * only when the record is unchanged since the judgement (same heartbeatAt, still open):
 * compare-and-set instead of a lock. Returns 1 when written.
 */
export const MARK_STALE = `${PRELUDE}
local id = ARGV[2]
local key = P .. ':session:' .. id
if redis.call('HGET', key, 'heartbeatAt') ~= ARGV[3] or not is_open(key) then return 0 end
redis.call('HSET', key, 'staleSince', q(iso(now_ms())))
publish('stale', id)
return 1
`;

/**
 * archive: ARGV = prefix, id, condition ('' = archive whatever the state, else the raw
 * heartbeatAt, closedAt and staleSince values the decision was made on, joined by newlines),
 * reason, writerPid, hostname. Moves record and journal (RENAME: nothing is copied or deleted)
 * under the current UTC day as `<id>`, or `<id>.<n>` when that day has it already, after
 * journalling an `archived` event. Returns {day, name, movedRecord (0/1), movedJournal (0/1)},
 * or nil when there is nothing to archive or the record changed since the decision.
 */
export const ARCHIVE = `${PRELUDE}
local id = ARGV[2]
local key = P .. ':session:' .. id
local jkey = P .. ':journal:' .. id
local has_record = redis.call('EXISTS', key) == 1
local has_journal = redis.call('EXISTS', jkey) == 1
if ARGV[3] ~= '' then
  if not has_record then return nil end
  local f = redis.call('HMGET', key, 'heartbeatAt', 'closedAt', 'staleSince')
  local now_state = (f[1] or '') .. '\\n' .. (f[2] or '') .. '\\n' .. (f[3] or '')
  if now_state ~= ARGV[3] then return nil end
elseif not has_record and not has_journal then
  return nil
end
local at = iso(now_ms())
local day = string.sub(at, 1, 10)
local name = id
local n = 1
while redis.call('SISMEMBER', P .. ':archive:' .. day, name) == 1 do
  n = n + 1
  name = id .. '.' .. n
end
if has_journal then
  event(jkey, 'archived', id, at, ARGV[5], ARGV[6], ARGV[4])
  redis.call('RENAME', jkey, P .. ':archive:' .. day .. ':journal:' .. name)
end
if has_record then redis.call('RENAME', key, P .. ':archive:' .. day .. ':session:' .. name) end
redis.call('SREM', P .. ':sessions', id)
redis.call('SADD', P .. ':archive:' .. day, name)
redis.call('SADD', P .. ':archive-days', day)
redis.call('HSET', P .. ':archived', id, day .. '/' .. name)
publish('archived', id)
return { day, name, has_record and 1 or 0, has_journal and 1 or 0 }
`;

/**
 * list batch: ARGV = record keys. Returns one string for the whole batch, so a listing of
 * thousands of records costs the client one reply to decode instead of one per record: records
 * separated by \x1d (in ARGV order; empty for a key that does not exist), fields by \x1e, a
 * field from its value by \x1f. Valid JSON never holds these characters raw; a record in which
 * any of them occurs comes back as \x1c alone, and the client reads that one with HGETALL
 * (and reports it), so nothing can be mistaken for a separator.
 */
export const LIST_BATCH = `
local out = {}
for i = 1, #ARGV do
  local h = redis.call('HGETALL', ARGV[i])
  -- One search per record, over its names and values run together.
  if string.find(table.concat(h), '[\\28-\\31]') then
    out[i] = '\\28'
  else
    local fields = {}
    for j = 1, #h, 2 do fields[#fields + 1] = h[j] .. '\\31' .. h[j + 1] end
    out[i] = table.concat(fields, '\\30')
  end
end
return table.concat(out, '\\29')
`;
